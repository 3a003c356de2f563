"""Registrations: register for an event (a held seat or the waiting list), confirm the address,
cancel (the organiser's cancellation can be undone for a while), promote by hand, check in, and the
registration behind a personal link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.events import emails, links
from services.events.models import ACTIVE_STATUSES, SEAT_STATUSES, Event, Registration, RegistrationStatus
from services.events.operations.events import lock_event
from services.events.operations.seats import (
    end_hold_quietly,
    fill_free_seats,
    give_seat,
    has_free_seat,
    hold_length,
    hold_seat,
    seats,
    seats_and_registration,
)
from services.events.schemas import RegistrationInput
from shared import scheduler
from shared.contract import SEND_EMAIL
from shared.db import utcnow
from shared.errors import Conflict, Gone, InvalidInput, NotFound
from shared.outbox import enqueue
from shared.privacy import email_hash

UNDO_WINDOW = dt.timedelta(minutes=10)
# What decides whether a registration gets a seat, read again under the event row's lock (`register`).
LOCKED_COLUMNS = ["status", "capacity", "onsite_capacity", "remote_capacity", "mode", "starts_at", "ends_at",
                  "rrule", "registration_opens_at", "registration_closes_at"]
FINAL_CANCEL_JOB = "events.cancellation_final"


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: Registration
    created: bool


def registration_is_open(event: Event, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    if event.is_cancelled or (event.ends_at < now and not event.rrule):
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    closes = event.registration_closes_at or (event.starts_at if not event.rrule else None)
    return not (closes and now > closes)


def read_registration(event: Event, raw: Mapping[str, Any], *, default_language: str = "fi") -> dict[str, Any]:
    """The registration body (API or page form) checked by `RegistrationInput` for this event;
    InvalidInput names each wrong field (an answer as `answers.<key>`)."""
    try:
        clean: dict[str, Any] = RegistrationInput(event=event, default_language=default_language).load(raw)
    except ValidationError as error:
        errors = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise InvalidInput("Check these fields: " + ", ".join(sorted(errors)) + ".", errors=errors) from error
    return clean


def register(session: Session, event_id: int, raw: Mapping[str, Any], *, secret_key: str,
             default_language: str = "fi", now: dt.datetime | None = None) -> RegistrationOutcome:
    """Register an address for an event: a seat held as `pending` if one is free (until the address
    is confirmed from the email, see `confirm_address`), else the end of the waiting list.

    The same address again gets its existing seat or place (nothing changes) and a fresh
    email (not when one went out moments ago: a retry or a double click); the answer never says
    more than a first registration would. `now` is the clock (default: now).

    The body is checked before the event row is locked; under the lock (held until the caller
    commits) only the seats are counted and the registration, its hold job and its email written:
    a new registration is one INSERT with its final status.
    """
    now = now or utcnow()
    event = _open_event(session.get(Event, event_id), now)
    clean = read_registration(event, raw, default_language=default_language)
    address_hash = email_hash(secret_key, clean["email"])
    registration = Registration(event_id=event.id, email_hash=address_hash, created_at=now, queued_at=now,
                                updated_at=now, status=RegistrationStatus.PENDING, checked_in=False,
                                hold_until=now + hold_length(event, now), last_confirmation_at=now,
                                confirmations_sent=1, **clean)
    prepared = _prepared_email(session, event, registration)
    # Seats are counted under the lock from here. Only what decides a seat is read again (not the texts).
    session.refresh(event, attribute_names=LOCKED_COLUMNS, with_for_update=True)
    event = _open_event(event, now)
    taken, existing_id = seats_and_registration(session, event.id, address_hash)
    if existing_id is not None:
        existing = session.get(Registration, existing_id, populate_existing=True)
        assert existing is not None  # counted under the lock a moment ago
        return _registered_before(session, event, existing, clean, now)
    if not (has_free_seat(event, taken, clean["participation"])
            and not taken.someone_waits_for(clean["participation"])):
        registration.status, registration.hold_until = RegistrationStatus.WAITLISTED, None
    else:
        registration.hold_until = now + hold_length(event, now)  # the same, unless the start moved meanwhile
    session.add(registration)
    if registration.id is None:
        session.flush()  # the id, for the hold's job and the email's links
    if registration.status is RegistrationStatus.PENDING:
        hold_seat(session, event, registration, now, new=True)
    if prepared is not None and prepared[0] == (registration.status, registration.hold_until):
        enqueue(session, SEND_EMAIL, prepared[1])
    else:
        emails.send_confirmation(session, event, registration)
    return RegistrationOutcome(registration, created=True)


def _prepared_email(session: Session, event: Event, registration: Registration) -> tuple[Any, dict[str, Any]] | None:
    """On PostgreSQL a new registration takes its id from the sequence before the event is locked, and its
    email is made then, as if it gets a seat: the lock is held for less. (What it was made for, and it.)"""
    if session.get_bind().dialect.name != "postgresql":
        return None
    registration.id = session.scalar(text("SELECT nextval(pg_get_serial_sequence('registrations', 'id'))"))
    return (registration.status, registration.hold_until), emails.send_confirmation(session, event, registration,
                                                                                    deliver=False)


def _registered_before(session: Session, event: Event, existing: Registration, clean: Mapping[str, Any],
                       now: dt.datetime) -> RegistrationOutcome:
    """The address has a registration for the event: kept as it is (with a fresh email), or registered again."""
    if existing.cancelled_from is not None:  # cancelled moments ago by the organiser
        _restore(session, event, existing, now)
    if existing.status in ACTIVE_STATUSES:
        emails.confirmation(session, event, existing, repeat=True, now=now)
        session.flush()
        return RegistrationOutcome(existing, created=False)
    taken = seats(session, event.id)
    gets_seat = (has_free_seat(event, taken, clean["participation"])
                 and not taken.someone_waits_for(clean["participation"]))
    return RegistrationOutcome(_register_again(session, event, existing, clean, gets_seat=gets_seat, now=now),
                               created=False)


def _open_event(event: Event | None, now: dt.datetime) -> Event:
    if event is None:
        raise NotFound("There is no such event.")
    if event.is_cancelled:
        raise Gone("This event has been cancelled.")
    if not registration_is_open(event, now):
        raise Conflict("Registration for this event is not open.")
    return event


def _register_again(session: Session, event: Event, registration: Registration, clean: Mapping[str, Any], *,
                    gets_seat: bool, now: dt.datetime) -> Registration:
    """An address whose registration was cancelled or expired registers again: at the end of the
    waiting list, or in a free seat (confirmed outright if the address was confirmed before)."""
    for name, value in clean.items():
        setattr(registration, name, value)
    registration.status, registration.queued_at, registration.updated_at = RegistrationStatus.WAITLISTED, now, now
    registration.cancelled_at = registration.promoted_at = registration.hold_until = None
    registration.checked_in = False
    session.flush()
    if gets_seat:
        if registration.address_confirmed_at is not None:
            registration.status = RegistrationStatus.CONFIRMED
        else:
            hold_seat(session, event, registration, now)
        session.flush()
    emails.confirmation(session, event, registration, now=now)
    return registration


def confirm_address(session: Session, registration_id: int, *, by_organiser: bool = False,
                    now: dt.datetime | None = None) -> Registration:
    """The person confirmed their address from the email (or the organiser did it for them): a held
    seat becomes confirmed (with the confirmation email and calendar entry); a waiting person's
    freed seat will be confirmed outright. Confirming again changes nothing. An ended hold stays
    ended (the person registers again). The organiser confirms only pending registrations."""
    now = now or utcnow()
    registration = get_registration(session, registration_id)
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if by_organiser and registration.status is not RegistrationStatus.PENDING:
        raise Conflict("Only a registration waiting for confirmation can be confirmed.")
    if registration.status not in ACTIVE_STATUSES:
        return registration
    if registration.address_confirmed_at is None:
        registration.address_confirmed_at = now
    if registration.status is RegistrationStatus.PENDING:
        end_hold_quietly(registration, session)
        registration.status, registration.updated_at = RegistrationStatus.CONFIRMED, now
        session.flush()
        emails.confirmation(session, event, registration, now=now, cause=None)
    session.flush()
    return registration


def end_hold(session: Session, registration_id: int, now: dt.datetime) -> Registration | None:
    """The `events.hold_ends` job: a hold still unconfirmed at `now` expires and its seat goes to
    the next person on the waiting list. A confirmed, cancelled or renewed hold is left alone."""
    registration = session.get(Registration, registration_id)
    if registration is None:
        return None
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if (registration.status is not RegistrationStatus.PENDING or registration.hold_until is None
            or registration.hold_until > now):
        return registration
    registration.status, registration.cancelled_at, registration.updated_at = RegistrationStatus.EXPIRED, now, now
    registration.hold_until = None
    session.flush()
    fill_free_seats(session, event, now)
    return registration


def get_registration(session: Session, registration_id: int) -> Registration:
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("There is no such registration.")
    return registration


def cancel_registration(session: Session, registration_id: int) -> Registration:
    """Cancel a seat or leave the waiting list; a freed seat goes to the first waiting person."""
    registration = get_registration(session, registration_id)
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.status not in ACTIVE_STATUSES:
        return registration
    had_seat = registration.takes_seat
    end_hold_quietly(registration, session)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = registration.updated_at = utcnow()
    session.flush()
    emails.cancellation(session, event, registration)
    if had_seat:
        fill_free_seats(session, event)
    return registration


def cancel_by_organiser(session: Session, registration_id: int, now: dt.datetime | None = None) -> Registration:
    """The organiser cancels a registration, undoably: for UNDO_WINDOW the seat (or the place in the
    waiting list) stays held and nobody is mailed; then the `events.cancellation_final` job mails the
    person and gives the seat to the waiting list (`finish_cancellation`). Undo: `undo_cancellation`."""
    now = now or utcnow()
    registration = get_registration(session, registration_id)
    lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.status not in ACTIVE_STATUSES:
        raise Conflict("This registration is already cancelled.")
    end_hold_quietly(registration, session)
    registration.cancelled_from, registration.undo_until = registration.status, now + UNDO_WINDOW
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = registration.updated_at = now
    scheduler.schedule(session, kind=FINAL_CANCEL_JOB, key=_final_cancel_key(registration),
                       due_at=registration.undo_until, payload={"registration_id": registration.id})
    session.flush()
    return registration


def undo_cancellation(session: Session, registration_id: int, now: dt.datetime | None = None) -> Registration:
    """Within UNDO_WINDOW the registration comes back as it was (its seat was held meanwhile; a
    pending one gets a fresh hold); nothing has been mailed, so nothing is."""
    now = now or utcnow()
    registration = get_registration(session, registration_id)
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.cancelled_from is None or registration.undo_until is None:
        raise Conflict("This cancellation cannot be undone.")
    if now >= registration.undo_until:
        raise Conflict("The time to undo this cancellation has passed.")
    _restore(session, event, registration, now)
    return registration


def _restore(session: Session, event: Event, registration: Registration, now: dt.datetime) -> None:
    before = registration.cancelled_from
    scheduler.cancel(session, _final_cancel_key(registration))
    registration.cancelled_from = registration.undo_until = registration.cancelled_at = None
    registration.updated_at = now
    if before is RegistrationStatus.PENDING:
        hold_seat(session, event, registration, now)
    else:
        registration.status = before or RegistrationStatus.CONFIRMED
    session.flush()


def finish_cancellation(session: Session, registration_id: int) -> Registration | None:
    """The `events.cancellation_final` job: an organiser's cancellation not undone becomes final. The
    person is mailed (unless erased meanwhile) and a freed seat goes to the waiting list."""
    registration = session.get(Registration, registration_id)
    if registration is None:
        return None
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.cancelled_from is None:  # undone, or the person registered again
        return registration
    had_seat = registration.cancelled_from in SEAT_STATUSES
    registration.cancelled_from = registration.undo_until = None
    session.flush()
    if registration.erased_at is None:
        emails.cancellation(session, event, registration)
    if had_seat:
        fill_free_seats(session, event)
    return registration


def _final_cancel_key(registration: Registration) -> str:
    stamp = (registration.cancelled_at or registration.created_at).strftime("%Y%m%d%H%M%S%f")
    return f"{FINAL_CANCEL_JOB}:{registration.id}:{stamp}"


def promote(session: Session, registration_id: int) -> Registration:
    """The organiser gives a waiting person a confirmed seat by hand (even beyond the capacity)."""
    registration = get_registration(session, registration_id)
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.status is not RegistrationStatus.WAITLISTED:
        raise Conflict("Only a person on the waiting list can be promoted.")
    give_seat(session, event, registration, by_organiser=True)
    return registration


def set_checked_in(session: Session, registration_id: int, checked_in: bool) -> Registration:
    registration = get_registration(session, registration_id)
    if checked_in and registration.status is not RegistrationStatus.CONFIRMED:
        raise Conflict("Only a confirmed participant can be checked in.")
    registration.checked_in = checked_in
    registration.updated_at = utcnow()
    session.flush()
    return registration


def registration_from_token(session: Session, purpose: str, token: str, max_age: int) -> Registration:
    """The registration a link is for; TokenExpired / TokenInvalid / NotFound otherwise (also when the
    link was made for an earlier registration with the same id)."""
    registration_id, stamp = links.registration_id_from(purpose, token, max_age)
    registration = session.get(Registration, registration_id)
    if registration is None or registration.erased_at is not None or (
            stamp is not None and stamp != links.registration_stamp(registration)):
        raise NotFound("There is no such registration.")
    return registration


def registrations_of_person(session: Session, registration: Registration) -> list[Registration]:
    """Every active registration of the same address (for the personal calendar feed)."""
    return list(session.scalars(select(Registration).where(
        Registration.email_hash == registration.email_hash,
        Registration.status.in_(ACTIVE_STATUSES)).order_by(Registration.id)))
