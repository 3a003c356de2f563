"""The person's rights: export everything held about them (here and in the other services) and erase it.

The preference centre starts both. The other services answer the export through their typed clients
(`shared.clients`); erasure reaches them as `ErasePerson` messages written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

from sqlalchemy.orm import Session

from services.subscriptions.newsletter.privacy import erase_author, export_author
from services.subscriptions.subscribers.models import (
    CONSENT_WORDING_VERSION,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Subscriber,
    Suppression,
    SuppressionReason,
)
from shared.clients import ServiceCallFailed
from shared.clients.events import EventsClient
from shared.clients.mailer import MailerClient
from shared.contract import ERASE_PERSON_IN, ErasePerson, dump_payload
from shared.db import utcnow
from shared.outbox import enqueue
from shared.privacy import forget_in_outbox


class PersonalDataSource(Protocol):
    service: str

    def export_personal_data(self, email: str) -> dict[str, Any]: ...


def export_here(session: Session, subscriber: Subscriber) -> dict[str, Any]:
    """This service's part of the export: the subscription with its consent log, and submitted articles."""
    return {"generated_at": utcnow().isoformat(), "email": subscriber.email,
            "subscriptions": subscription_data(subscriber), "articles": export_author(session, subscriber.email)}


def export_elsewhere(email: str) -> dict[str, Any]:
    """What the events service and the mailer hold, by service name; a service that cannot answer says so.
    Call it with no transaction open: the other services may take their time."""
    sources: tuple[PersonalDataSource, ...] = (EventsClient(), MailerClient())
    return {source.service: _export_from(source, email) for source in sources}


def _export_from(source: PersonalDataSource, email: str) -> dict[str, Any]:
    try:
        return source.export_personal_data(email)
    except ServiceCallFailed:
        return {"unavailable": f"The {source.service} service did not answer. Please try again later."}


def subscription_data(subscriber: Subscriber) -> dict[str, Any]:
    """Everything the subscribers part holds about the subscriber."""
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "organisation": subscriber.organisation,
        "language": subscriber.language,
        "status": subscriber.status.value,
        "topics": subscriber.topic_names,
        "source": subscriber.source.value,
        "consent_wording_version": subscriber.consent_wording_version,
        "created_at": _iso(subscriber.created_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "unsubscribed_at": _iso(subscriber.unsubscribed_at),
        "consent_log": [
            {"action": event.action.value, "source": event.source.value, "wording_version": event.wording_version,
             "language": event.language, "topics": event.topics.split(), "occurred_at": _iso(event.occurred_at)}
            for event in subscriber.consent_events
        ],
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def erase(session: Session, subscriber: Subscriber) -> str:
    """Erase the person here and ask the other services to do the same; returns the request id.

    What stays: a suppression entry and an 'erase' consent record, both holding only the keyed hash.
    """
    request_id = uuid.uuid4().hex
    address_hash = subscriber.email_hash
    email = subscriber.email
    session.delete(subscriber)
    session.flush()
    erase_author(session, email)
    forget_in_outbox(session, email)
    if session.get(Suppression, address_hash) is None:
        session.add(Suppression(email_hash=address_hash, reason=SuppressionReason.ERASED))
    session.add(ConsentEvent(subscriber_id=None, email_hash=address_hash, action=ConsentAction.ERASE,
                             source=ConsentSource.EMAIL, wording_version=CONSENT_WORDING_VERSION,
                             language=subscriber.language, topics="", occurred_at=utcnow()))
    for target in ERASE_PERSON_IN.values():
        enqueue(session, target, dump_payload(ErasePerson, {"email_hash": address_hash, "request_id": request_id}))
    return request_id
