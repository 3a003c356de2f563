"""How a subscriber wants announcements of events: `each` (the default), `weekly` or `none`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from services.subscriptions.announcements.models import CHOICES, DEFAULT_CHOICE, NONE, AnnouncementChoice
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus, SubscriberTopic
from shared.errors import InvalidInput

EVENTS_TOPIC = "events"


def choice_of(session: Session, subscriber_id: int) -> str:
    row = session.get(AnnouncementChoice, subscriber_id)
    return row.choice if row is not None else DEFAULT_CHOICE


def set_choice(session: Session, subscriber: Subscriber, choice: str) -> bool:
    """Store the choice; False when it was the choice already."""
    if choice not in CHOICES:
        raise InvalidInput("Choose each, weekly or none.", errors={"announcements": [f"One of {', '.join(CHOICES)}."]})
    row = session.get(AnnouncementChoice, subscriber.id, with_for_update=True)
    if (row.choice if row is not None else DEFAULT_CHOICE) == choice:
        return False
    if row is None:
        session.add(AnnouncementChoice(subscriber_id=subscriber.id, choice=choice))
    else:
        row.choice = choice
    session.flush()
    return True


def stop(session: Session, subscriber: Subscriber) -> bool:
    """No more announcements (the one-click link); the subscription and its other topics stay."""
    return set_choice(session, subscriber, NONE)


def audience(choice: str) -> Any:
    """SQL condition: confirmed subscribers of `events` whose choice is `choice` (no row counts as the default)."""
    has_topic = exists().where(SubscriberTopic.subscriber_id == Subscriber.id, SubscriberTopic.topic == EVENTS_TOPIC)
    chosen = select(AnnouncementChoice.choice).where(AnnouncementChoice.subscriber_id == Subscriber.id)
    if choice == DEFAULT_CHOICE:
        wants = ~chosen.where(AnnouncementChoice.choice != choice).exists()
    else:
        wants = chosen.where(AnnouncementChoice.choice == choice).exists()
    return (Subscriber.status == SubscriberStatus.CONFIRMED) & has_topic & wants
