"""Who gets a survey: any union of the cooperation group's members, the confirmed subscribers of a topic and
this year's event participants (asked from the events service), one person per address (lower case).
Addresses that must not be mailed (erased, bounced, complained) are left out.

Where an address is in several sources, the first source's name and language count: the roster, then
the subscription, then the event registration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import (
    TOPICS,
    Subscriber,
    SubscriberStatus,
    SubscriberTopic,
    Suppression,
)
from services.subscriptions.surveys.models import SURVEY_LANGUAGES, GroupMember
from shared.clients import ServiceCallFailed
from shared.clients.events import EventsClient
from shared.errors import InvalidInput, ServiceUnavailable
from shared.privacy import email_hash, normalise_email


@dataclass(frozen=True)
class Person:
    email: str
    name: str | None
    language: str


@dataclass(frozen=True)
class AudienceSpec:
    group: bool = False
    topic: str | None = None
    events: bool = False

    @property
    def empty(self) -> bool:
        return not (self.group or self.topic or self.events)

    def as_json(self) -> dict[str, Any]:
        return {"group": self.group, "topic": self.topic, "events": self.events}


def spec_from(values: dict[str, Any]) -> AudienceSpec:
    """The audience the coordinator chose; an unknown topic is refused."""
    topic = str(values.get("topic") or "") or None
    if topic is not None and topic not in TOPICS:
        raise InvalidInput("Unknown topic.", errors={"topic": [f"One of {', '.join(TOPICS)}."]})
    return AudienceSpec(group=bool(values.get("group")), topic=topic, events=bool(values.get("events")))


def event_participants(year: int) -> list[Person]:
    """This year's event participants from the events service; call it with no transaction open."""
    try:
        answer = EventsClient().year_participants(year)
    except ServiceCallFailed as error:
        raise ServiceUnavailable("The events service did not answer. Please try again later.") from error
    return [Person(normalise_email(p["email"]), p.get("name") or None, _language(p.get("language")))
            for p in answer]


def _language(value: Any) -> str:
    return value if value in SURVEY_LANGUAGES else str(current_app.config.get("PRIMARY_LANGUAGE", "fi"))


def group_people(session: Session) -> list[Person]:
    return [Person(normalise_email(m.email), m.name, m.language)
            for m in session.scalars(select(GroupMember).order_by(GroupMember.id))]


def topic_people(session: Session, topic: str) -> list[Person]:
    query = (select(Subscriber).join(SubscriberTopic, SubscriberTopic.subscriber_id == Subscriber.id)
             .where(SubscriberTopic.topic == topic, Subscriber.status == SubscriberStatus.CONFIRMED)
             .order_by(Subscriber.id))
    return [Person(normalise_email(s.email), s.name, s.language) for s in session.scalars(query)]


def people(session: Session, spec: AudienceSpec, participants: Sequence[Person] = ()) -> list[Person]:
    """The union, one person per address, suppressed addresses left out. `participants`: from
    `event_participants` when the spec includes them (asked before the transaction)."""
    sources: list[Iterable[Person]] = []
    if spec.group:
        sources.append(group_people(session))
    if spec.topic:
        sources.append(topic_people(session, spec.topic))
    if spec.events:
        sources.append(participants)
    chosen: dict[str, Person] = {}
    for source in sources:
        for person in source:
            if "@" in person.email and person.email not in chosen:
                chosen[person.email] = person
    secret = str(current_app.config["SECRET_KEY"])
    hashes = {address: email_hash(secret, address) for address in chosen}
    suppressed = set(session.scalars(select(Suppression.email_hash)
                                     .where(Suppression.email_hash.in_(list(hashes.values())))))
    return [person for address, person in chosen.items() if hashes[address] not in suppressed]
