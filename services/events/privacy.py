"""This service's part of a person's data rights: export everything held about an address (for the
subscriptions service's "my data" download) and erase it (the `events.erase_person` actor)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events.models import Event, FeedbackResponse, Registration, RegistrationStatus
from services.events.operations.events import lock_event
from services.events.operations.seats import fill_free_seats
from shared.db import utcnow
from shared.privacy import forget_in_outbox


def holds_personal_data(session: Session, address_hash: str) -> bool:
    """Whether any registration (erased ones have another hash) belongs to the address with this keyed hash."""
    found = session.scalar(select(Registration.id).where(Registration.email_hash == address_hash).limit(1))
    return found is not None


def export_by_hash(session: Session, address_hash: str) -> dict[str, Any]:
    """Everything held about the address with this keyed hash (`shared.privacy.email_hash`): registrations with
    their answers, and feedback given."""
    registrations = list(session.scalars(select(Registration).where(Registration.email_hash == address_hash)
                                         .order_by(Registration.id)))
    feedback = list(session.scalars(select(FeedbackResponse).where(
        FeedbackResponse.registration_id.in_([r.id for r in registrations]))))
    by_registration = {f.registration_id: f for f in feedback}
    return {
        "registrations": [{
            "event": r.event.text("title", r.language), "event_slug": r.event.slug,
            "starts_at": r.event.starts_at.isoformat(), "status": r.status.value, "name": r.name, "email": r.email,
            "organisation": r.organisation, "sector": r.sector.value if r.sector else None,
            "participation": r.participation.value, "language": r.language,
            "dietary_needs": r.dietary_needs, "accessibility_needs": r.accessibility_needs, "answers": r.answers,
            "checked_in": r.checked_in, "registered_at": r.created_at.isoformat(),
        } for r in registrations],
        "feedback": [{
            "event": r.event.text("title", r.language), "ratings": by_registration[r.id].ratings,
            "texts": by_registration[r.id].texts, "submitted_at": by_registration[r.id].submitted_at.isoformat(),
        } for r in registrations if r.id in by_registration],
    }


def erase_person(session: Session, address_hash: str) -> int:
    """Erase an address: names, addresses, organisations and free-text answers go; anonymous counts stay.

    An active registration for an event still to come is cancelled first, so its seat is freed.
    Returns how many registrations were erased.
    """
    registrations = list(session.scalars(select(Registration).where(Registration.email_hash == address_hash)))
    now = utcnow()
    erased = 0
    for registration in registrations:
        event = lock_event(session, registration.event_id)
        session.refresh(registration)
        if registration.erased_at is not None:  # a concurrent run of the same erasure got here first
            continue
        freed = registration.takes_seat and event.ends_at > now
        if freed or (registration.status is RegistrationStatus.WAITLISTED):
            registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
            registration.hold_until = None
        if registration.email:
            forget_in_outbox(session, registration.email)
        _anonymise(session, event, registration, now)
        session.flush()
        erased += 1
        if freed:
            fill_free_seats(session, event)
    return erased


def _anonymise(session: Session, event: Event, registration: Registration, now: dt.datetime) -> None:
    text_keys = {q["key"] for q in event.questions if q["type"] == "text"}
    registration.name = ""
    registration.email = ""
    registration.organisation = ""
    registration.email_hash = f"erased-{secrets.token_hex(25)}"
    registration.dietary_needs = registration.accessibility_needs = ""
    registration.answers = {k: v for k, v in registration.answers.items() if k not in text_keys}
    registration.erased_at = registration.updated_at = now
    given = select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    for response in session.scalars(given):
        response.texts = {}
        response.registration_id = None
