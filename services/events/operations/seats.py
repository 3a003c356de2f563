"""Seats and the waiting list: who holds a seat, who waits in which order, and a free seat going to
the first waiting person. Callers lock the event row first (`events.lock_event`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.events import emails
from services.events.models import Event, Participation, Registration, RegistrationStatus
from shared.db import utcnow


@dataclass(frozen=True)
class Seats:
    confirmed: int
    onsite: int
    remote: int
    waitlisted: int

    def as_dict(self) -> dict[str, int]:
        return {"confirmed": self.confirmed, "onsite": self.onsite, "remote": self.remote,
                "waitlisted": self.waitlisted}


def seats(session: Session, event_id: int) -> Seats:
    rows = session.execute(select(Registration.status, Registration.participation, func.count())
                           .where(Registration.event_id == event_id)
                           .group_by(Registration.status, Registration.participation)).all()
    confirmed = Counter({p: n for s, p, n in rows if s is RegistrationStatus.CONFIRMED})
    waiting = sum(n for s, _p, n in rows if s is RegistrationStatus.WAITLISTED)
    return Seats(sum(confirmed.values()), confirmed[Participation.ONSITE], confirmed[Participation.REMOTE], waiting)


def over_capacity(event: Event, taken: Seats) -> list[tuple[str, int, int]]:
    """(which capacity, seats taken, capacity) for each capacity the seats already given exceed:
    lowering a capacity takes nobody's seat, so the organiser needs to be told."""
    limits = (("capacity", taken.confirmed, event.capacity), ("onsite_capacity", taken.onsite, event.onsite_capacity),
              ("remote_capacity", taken.remote, event.remote_capacity))
    return [(name, count, limit) for name, count, limit in limits if limit is not None and count > limit]


def has_free_seat(event: Event, taken: Seats, participation: Participation) -> bool:
    if event.capacity is not None and taken.confirmed >= event.capacity:
        return False
    if participation is Participation.ONSITE and event.onsite_capacity is not None:
        return taken.onsite < event.onsite_capacity
    if participation is Participation.REMOTE and event.remote_capacity is not None:
        return taken.remote < event.remote_capacity
    return True


def _with_seat(taken: Seats, participation: Participation) -> Seats:
    onsite = participation is Participation.ONSITE
    return Seats(taken.confirmed + 1, taken.onsite + onsite, taken.remote + (not onsite), max(0, taken.waitlisted - 1))


def waiting_list(session: Session, event_id: int) -> list[Registration]:
    return list(session.scalars(select(Registration).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.queued_at, Registration.id)))


def active_registrations(session: Session, event_id: int) -> list[Registration]:
    return list(session.scalars(select(Registration).where(
        Registration.event_id == event_id,
        Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)))
        .order_by(Registration.id)))


def someone_waits_for(session: Session, event: Event, participation: Participation) -> bool:
    """A free seat goes to the waiting list first (only possible with split capacities)."""
    return any(r.participation is participation for r in waiting_list(session, event.id))


def fill_free_seats(session: Session, event: Event) -> list[Registration]:
    """Give free seats to the waiting list in order (the event row must be locked); each promoted
    person is emailed once."""
    if event.is_cancelled:
        return []
    taken = seats(session, event.id)
    promoted: list[Registration] = []
    for registration in waiting_list(session, event.id):
        if event.capacity is not None and taken.confirmed >= event.capacity:
            break
        if has_free_seat(event, taken, registration.participation):
            give_seat(session, event, registration)
            taken = _with_seat(taken, registration.participation)
            promoted.append(registration)
    return promoted


def give_seat(session: Session, event: Event, registration: Registration) -> None:
    """A waiting person gets a seat and an email saying so."""
    registration.status = RegistrationStatus.CONFIRMED
    registration.promoted_at = registration.updated_at = utcnow()
    session.flush()
    emails.promotion(session, event, registration)
