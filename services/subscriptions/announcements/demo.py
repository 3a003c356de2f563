"""Demo content of the announcements part: some subscribers of `events` chose the weekly digest."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.announcements.models import WEEKLY, AnnouncementChoice
from services.subscriptions.announcements.operations.choices import EVENTS_TOPIC
from services.subscriptions.subscribers.models import SubscriberTopic

EVERY_NTH_WEEKLY = 3


def seed(session: Session) -> None:
    """Every third subscriber of `events` wants a weekly digest; the others keep the default, a mail per event."""
    if session.scalar(select(AnnouncementChoice.subscriber_id).limit(1)) is not None:
        return
    readers = session.scalars(select(SubscriberTopic.subscriber_id).where(SubscriberTopic.topic == EVENTS_TOPIC)
                              .order_by(SubscriberTopic.subscriber_id))
    for subscriber_id in list(readers)[::EVERY_NTH_WEEKLY]:
        session.add(AnnouncementChoice(subscriber_id=subscriber_id, choice=WEEKLY))
    session.flush()
