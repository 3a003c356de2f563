"""Seats and the waiting list: who holds a seat, who waits in which order, and a free seat going to
the first waiting person. Callers lock the event row first (`events.lock_event`).

A seat is taken by a confirmed registration and by a pending one: a hold until the address is
confirmed from the email, ending at `hold_until` (the `events.hold_ends` job then gives the seat to
the next person, `operations.holds`). The hold lasts ELO_REGISTRATION_HOLD_MINUTES, and never
more than a quarter of the time left before the event starts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from services.events import emails
from services.events.models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    Event,
    Participation,
    Registration,
    RegistrationStatus,
)
from shared import scheduler
from shared.db import utcnow
from shared.models import Job

HOLD_JOB = "events.hold_ends"


@dataclass(frozen=True)
class Seats:
    """Seats taken (`taken`: confirmed and pending; `onsite`/`remote` of those) and the waiting list."""

    taken: int
    onsite: int
    remote: int
    waitlisted: int
    pending: int = 0
    waiting_ways: frozenset[Participation] = frozenset()  # the ways someone on the waiting list takes part

    def someone_waits_for(self, participation: Participation) -> bool:
        """A free seat goes to the waiting list first (only possible with split capacities)."""
        return participation in self.waiting_ways

    @property
    def confirmed(self) -> int:
        return self.taken - self.pending

    def as_dict(self) -> dict[str, int]:
        return {"taken": self.taken, "confirmed": self.confirmed, "pending": self.pending, "onsite": self.onsite,
                "remote": self.remote, "waitlisted": self.waitlisted}


def counted_status() -> ColumnElement[RegistrationStatus]:
    """The status seats are counted by: a cancellation the organiser can still undo keeps its seat
    (or place) as before until it is final (`registrations.cancel_by_organiser`)."""
    return func.coalesce(Registration.cancelled_from, Registration.status)


def seats(session: Session, event_id: int) -> Seats:
    rows = session.execute(select(counted_status(), Registration.participation, func.count())
                           .where(Registration.event_id == event_id)
                           .group_by(counted_status(), Registration.participation)).all()
    return _tally([(status, participation, count) for status, participation, count in rows])


def seats_and_registration(session: Session, event_id: int, address_hash: str) -> tuple[Seats, int | None]:
    """`seats`, and in the same query the id of the event's registration for `address_hash` (None: none)."""
    holder = func.max(case((Registration.email_hash == address_hash, Registration.id)))
    rows = session.execute(select(counted_status(), Registration.participation, func.count(), holder)
                           .where(Registration.event_id == event_id)
                           .group_by(counted_status(), Registration.participation)).all()
    found = [registration_id for *_counted, registration_id in rows if registration_id is not None]
    return _tally([(status, participation, count) for status, participation, count, _ in rows]), \
        (found[0] if found else None)


def _tally(rows: Sequence[tuple[RegistrationStatus, Participation, int]]) -> Seats:
    taken: Counter[Participation] = Counter()
    for status, participation, count in rows:
        if status in SEAT_STATUSES:
            taken[participation] += count
    waiting = sum(n for s, _p, n in rows if s is RegistrationStatus.WAITLISTED)
    pending = sum(n for s, _p, n in rows if s is RegistrationStatus.PENDING)
    ways = frozenset(p for s, p, n in rows if s is RegistrationStatus.WAITLISTED and n)
    return Seats(sum(taken.values()), taken[Participation.ONSITE], taken[Participation.REMOTE], waiting, pending,
                 ways)


@dataclass(frozen=True)
class Availability:
    """What a person registering now gets: `seats_left` free seats (None: no limit; 0: full, the
    waiting list). `participation` None: one count for every way of taking part."""

    participation: Participation | None
    seats_left: int | None

    @property
    def full(self) -> bool:
        return self.seats_left == 0


def availability(session: Session, event: Event) -> list[Availability]:
    return availability_by_event(session, [event])[event.id]


def availability_by_event(session: Session, events: Sequence[Event]) -> dict[int, list[Availability]]:
    """Availability of each event (one query for all): per way of taking part when a hybrid event
    limits one of them, else one line; nothing when nothing is limited. A free seat that someone
    waits for is not free: it goes to the waiting list first (`register`, `fill_free_seats`)."""
    rows = seat_rows(session, [event.id for event in events])
    return {event.id: availability_of(event, rows[event.id]) for event in events}


SeatRow = tuple[RegistrationStatus, Participation, int]


def seat_rows(session: Session, event_ids: Sequence[int]) -> dict[int, list[SeatRow]]:
    """What seats and availability are counted from, per event (one query): (status, way, how many).
    Equal rows mean equal availability, so a page showing it can be kept while they stay equal."""
    rows: dict[int, list[SeatRow]] = {event_id: [] for event_id in event_ids}
    if rows:
        for event_id, status, participation, count in session.execute(
                select(Registration.event_id, counted_status(), Registration.participation, func.count())
                .where(Registration.event_id.in_(list(rows)))
                .group_by(Registration.event_id, counted_status(), Registration.participation)
                .order_by(Registration.event_id, counted_status(), Registration.participation)):
            rows[event_id].append((status, participation, count))
    return rows


def availability_of(event: Event, rows: Sequence[SeatRow]) -> list[Availability]:
    return _availability(event, rows)


def _availability(event: Event, rows: Sequence[tuple[RegistrationStatus, Participation, int]]) -> list[Availability]:
    taken = _tally(rows)
    waiting = {participation for status, participation, count in rows
               if status is RegistrationStatus.WAITLISTED and count}
    ways = event.ways_to_take_part()
    split = len(ways) > 1 and any(_mode_limit(event, way) is not None for way in ways)
    if split:
        return [Availability(way, 0 if way in waiting else _seats_left(event, taken, way)) for way in ways]
    left = _seats_left(event, taken, ways[0])
    if left is None:
        return []
    return [Availability(None, 0 if waiting else left)]


def _mode_limit(event: Event, participation: Participation) -> int | None:
    return event.onsite_capacity if participation is Participation.ONSITE else event.remote_capacity


def _seats_left(event: Event, taken: Seats, participation: Participation) -> int | None:
    mode_taken = taken.onsite if participation is Participation.ONSITE else taken.remote
    limits = [limit - used for limit, used in ((event.capacity, taken.taken),
                                                (_mode_limit(event, participation), mode_taken))
              if limit is not None]
    return max(0, min(limits)) if limits else None


def over_capacity(event: Event, taken: Seats) -> list[tuple[str, int, int]]:
    """(which capacity, seats taken, capacity) for each capacity the seats already given exceed:
    lowering a capacity takes nobody's seat, so the organiser needs to be told."""
    limits = (("capacity", taken.taken, event.capacity), ("onsite_capacity", taken.onsite, event.onsite_capacity),
              ("remote_capacity", taken.remote, event.remote_capacity))
    return [(name, count, limit) for name, count, limit in limits if limit is not None and count > limit]


def has_free_seat(event: Event, taken: Seats, participation: Participation) -> bool:
    if event.capacity is not None and taken.taken >= event.capacity:
        return False
    if participation is Participation.ONSITE and event.onsite_capacity is not None:
        return taken.onsite < event.onsite_capacity
    if participation is Participation.REMOTE and event.remote_capacity is not None:
        return taken.remote < event.remote_capacity
    return True


def _with_seat(taken: Seats, participation: Participation) -> Seats:
    onsite = participation is Participation.ONSITE
    return Seats(taken.taken + 1, taken.onsite + onsite, taken.remote + (not onsite), max(0, taken.waitlisted - 1),
                 taken.pending, taken.waiting_ways)


def waiting_list(session: Session, event_id: int) -> list[Registration]:
    return list(session.scalars(select(Registration).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.queued_at, Registration.id)))


def active_registrations(session: Session, event_id: int) -> list[Registration]:
    return list(session.scalars(select(Registration).where(
        Registration.event_id == event_id,
        Registration.status.in_(ACTIVE_STATUSES)).order_by(Registration.id)))


def someone_waits_for(session: Session, event: Event, participation: Participation) -> bool:
    """A free seat goes to the waiting list first (only possible with split capacities)."""
    return any(r.participation is participation for r in waiting_list(session, event.id))


def fill_free_seats(session: Session, event: Event, now: dt.datetime | None = None) -> list[Registration]:
    """Give free seats to the waiting list in order (the event row must be locked); each promoted
    person is emailed once."""
    if event.is_cancelled:
        return []
    taken = seats(session, event.id)
    promoted: list[Registration] = []
    for registration in waiting_list(session, event.id):
        if event.capacity is not None and taken.taken >= event.capacity:
            break
        if has_free_seat(event, taken, registration.participation):
            give_seat(session, event, registration, now=now)
            taken = _with_seat(taken, registration.participation)
            promoted.append(registration)
    return promoted


def give_seat(session: Session, event: Event, registration: Registration, *, by_organiser: bool = False,
              now: dt.datetime | None = None) -> None:
    """A waiting person gets a seat and an email saying so: a confirmed seat when the address is
    confirmed (or the organiser gives it by hand), else a hold until the address is confirmed."""
    now = now or utcnow()
    registration.promoted_at = registration.updated_at = now
    if by_organiser or registration.address_confirmed_at is not None:
        registration.status, registration.hold_until = RegistrationStatus.CONFIRMED, None
    else:
        hold_seat(session, event, registration, now)
    session.flush()
    emails.promotion(session, event, registration)


def hold_length(event: Event, now: dt.datetime) -> dt.timedelta:
    """ELO_REGISTRATION_HOLD_MINUTES, but never more than a quarter of the time left before the start
    (at least a minute); a recurring event whose first start has passed gets the whole setting."""
    setting = dt.timedelta(minutes=current_app.config["ELO_SETTINGS"].registration_hold_minutes)
    if event.starts_at <= now:
        return setting
    return max(dt.timedelta(minutes=1), min(setting, (event.starts_at - now) / 4))


def hold_seat(session: Session, event: Event, registration: Registration, now: dt.datetime, *,
              new: bool = False) -> None:
    """The registration holds a seat as pending until `hold_until`; a job then ends the hold (if the
    address is still unconfirmed) and gives the seat to the next person. `new`: the registration was
    inserted in this transaction (with `status` and `hold_until` already set), so no job can have its
    key yet: the job is added without looking for one."""
    hold_until = registration.hold_until if new and registration.hold_until else now + hold_length(event, now)
    registration.status, registration.hold_until = RegistrationStatus.PENDING, hold_until
    key, payload = _hold_key(registration, hold_until), {"registration_id": registration.id}
    if new:
        session.add(Job(kind=HOLD_JOB, key=key, due_at=hold_until, payload=payload))
    else:
        scheduler.schedule(session, kind=HOLD_JOB, key=key, due_at=hold_until, payload=payload)


def end_hold_quietly(registration: Registration, session: Session) -> None:
    """The hold is over (confirmed or cancelled): its job is cancelled and `hold_until` cleared."""
    if registration.hold_until is not None:
        scheduler.cancel(session, _hold_key(registration, registration.hold_until))
    registration.hold_until = None


def _hold_key(registration: Registration, hold_until: dt.datetime) -> str:
    return f"{HOLD_JOB}:{registration.id}:{hold_until.strftime('%Y%m%d%H%M%S%f')}"
