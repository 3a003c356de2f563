"""Use-cases of the events service: plain functions taking a Session; they flush, never commit.

Views, admin pages, actors and jobs call these and commit once.

How capacity holds under concurrency
------------------------------------
Every use-case that can take or free a seat (`register`, `cancel_registration`,
`promote`, `update_event`, `cancel_event`) first calls `lock_event`, which reads the event
row with `SELECT … FOR UPDATE` on PostgreSQL. Concurrent requests for the same event queue
on that row lock, so "count the confirmed seats, then insert" is never interleaved, in any
number of processes. On SQLite every transaction starts with `BEGIN IMMEDIATE`
(shared.db): a transaction that may write holds the database's write lock from its first
statement, so the same count-then-insert runs one writer at a time. The unique constraint
(event_id, email_hash) is the last line against double registrations of one address.
The lock order is always event row, then registration rows, so two use-cases cannot deadlock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import secrets
import unicodedata
import zoneinfo
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.rrule import rrulestr
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.events import emails, links
from services.events.models import (
    Event,
    EventKind,
    EventMode,
    EventStatus,
    FeedbackResponse,
    Participation,
    Registration,
    RegistrationStatus,
    Visibility,
)
from shared import scheduler
from shared.db import utcnow
from shared.errors import Conflict, Gone, InvalidInput, NotFound
from shared.models import Job, JobStatus
from shared.privacy import email_hash, forget_in_outbox, normalise_email
from shared.settings import LANGUAGES

REMIND_JOB = "events.remind"
FEEDBACK_JOB = "events.feedback"
FEEDBACK_DELAY = dt.timedelta(minutes=30)
SERIES_LIMIT = 1000  # occurrences looked at; a longer series counts as open-ended
CHANGES_THAT_MATTER = ("starts_at", "ends_at", "timezone", "mode", "address", "online_url", "rrule", "exdates")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_FEEDBACK_QUESTIONS: list[dict[str, Any]] = [
    {"key": "overall", "type": "rating",
     "label": {"fi": "Kokonaisarvio tapahtumasta", "sv": "Helhetsbedömning av evenemanget",
               "en": "Overall rating of the event"}},
    {"key": "useful", "type": "rating",
     "label": {"fi": "Hyöty omassa työssäni", "sv": "Nytta i mitt arbete", "en": "Usefulness for my work"}},
    {"key": "comments", "type": "text",
     "label": {"fi": "Vapaa palaute ja toiveet", "sv": "Fri respons och önskemål", "en": "Comments and wishes"}},
]

# Field messages (English msgids; pages show them translated, the API as they are).
REQUIRED = "This field is required."
INVALID_EMAIL = "Enter an email address like name@example.fi."
TOO_LONG = "This is too long."
INVALID_CHOICE = "Choose one of the options."
PARTICIPATION_NOT_OFFERED = "This event does not offer this way of taking part."


# --- events -------------------------------------------------------------------------------------

def lock_event(session: Session, event_id: int) -> Event:
    """The event, its row locked for this transaction (PostgreSQL: FOR UPDATE; SQLite: BEGIN IMMEDIATE)."""
    event = session.scalar(select(Event).where(Event.id == event_id).with_for_update()
                           .execution_options(populate_existing=True))
    if event is None:
        raise NotFound("There is no such event.")
    return event


def get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("There is no such event.")
    return event


def event_by_slug(session: Session, slug: str) -> Event:
    """An event by its slug (public or unlisted: unlisted events are reachable by link)."""
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound("There is no such event.")
    return event


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-") or "event"


def unique_slug(session: Session, wanted: str, starts_at: dt.datetime) -> str:
    base = slugify(wanted)
    if session.scalar(select(Event.id).where(Event.slug == base)) is None:
        return base
    dated = f"{base}-{starts_at.strftime('%Y-%m-%d')}"
    if session.scalar(select(Event.id).where(Event.slug == dated)) is None:
        return dated
    return f"{dated}-{secrets.token_hex(3)}"


def create_event(session: Session, data: Mapping[str, Any]) -> Event:
    """Create an event from `schemas.EventInput().load(...)` output; schedules reminders and feedback."""
    values = dict(data)
    wanted_slug = values.pop("slug", None)
    if wanted_slug and session.scalar(select(Event.id).where(Event.slug == wanted_slug)) is not None:
        raise InvalidInput("This address is taken.", errors={"slug": ["Another event uses this address."]})
    _check_capacity_split(values)
    if not values.get("feedback_questions"):
        values["feedback_questions"] = DEFAULT_FEEDBACK_QUESTIONS
    event = Event(**_model_values(values))
    event.slug = wanted_slug or unique_slug(session, event.title["fi"], event.starts_at)
    session.add(event)
    session.flush()
    schedule_event_jobs(session, event)
    return event


def _model_values(values: Mapping[str, Any]) -> dict[str, Any]:
    converted = dict(values)
    for name, cls in (("kind", EventKind), ("mode", EventMode), ("visibility", Visibility)):
        if name in converted and isinstance(converted[name], str):
            converted[name] = cls(converted[name])
    for name in ("title", "description"):
        if name in converted:
            converted[name] = {k: v for k, v in dict(converted[name]).items() if v}
    return converted


def _check_capacity_split(values: Mapping[str, Any]) -> None:
    total = values.get("capacity")
    onsite, remote = values.get("onsite_capacity"), values.get("remote_capacity")
    if total is not None and onsite is not None and remote is not None and int(onsite) + int(remote) < int(total):
        raise InvalidInput("The capacities do not add up.",
                           errors={"capacity": ["The on-site and remote capacities together are less than this."]})


def update_event(session: Session, event_id: int, changes: Mapping[str, Any]) -> Event:
    """Apply `schemas.EventUpdate` output. A change of time or place raises SEQUENCE and notifies
    everyone registered; more capacity promotes from the waiting list."""
    event = lock_event(session, event_id)
    if event.is_cancelled:
        raise Conflict("A cancelled event cannot be changed.")
    values = _model_values(changes)
    wanted_slug = values.pop("slug", None)
    if wanted_slug and wanted_slug != event.slug:
        if session.scalar(select(Event.id).where(Event.slug == wanted_slug)) is not None:
            raise InvalidInput("This address is taken.", errors={"slug": ["Another event uses this address."]})
        event.slug = wanted_slug
    if ("starts_at" in values) != ("ends_at" in values):
        starts = values.get("starts_at", event.starts_at)
        ends = values.get("ends_at", event.ends_at)
        if ends <= starts:
            message = "The end must be after the start."
            raise InvalidInput(message, errors={"ends_at": [message]})
    capacities = ("capacity", "onsite_capacity", "remote_capacity")
    _check_capacity_split({name: values.get(name, getattr(event, name)) for name in capacities})
    significant = any(name in values and values[name] != getattr(event, name) for name in CHANGES_THAT_MATTER)
    for name, value in values.items():
        setattr(event, name, value)
    event.updated_at = utcnow()
    if significant:
        event.sequence += 1
        for registration in active_registrations(session, event.id):
            emails.change_notice(session, event, registration)
    session.flush()
    schedule_event_jobs(session, event)
    fill_free_seats(session, event)
    return event


def cancel_event(session: Session, event_id: int) -> Event:
    """Cancel: the event stays in the feeds with STATUS:CANCELLED; everyone registered is told."""
    event = lock_event(session, event_id)
    if event.is_cancelled:
        return event
    event.status = EventStatus.CANCELLED
    event.cancelled_at = event.updated_at = utcnow()
    event.sequence += 1
    for registration in active_registrations(session, event.id):
        emails.event_cancelled(session, event, registration)
    for job in _pending_jobs(session, event):
        job.status = JobStatus.CANCELLED
    session.flush()
    return event


def _pending_jobs(session: Session, event: Event) -> list[Job]:
    return list(session.scalars(select(Job).where(
        Job.status == JobStatus.PENDING,
        Job.key.startswith(f"{REMIND_JOB}:{event.id}:") | (Job.key == f"{FEEDBACK_JOB}:{event.id}"))))


def occurrences(event: Event) -> Iterator[dt.datetime]:
    """Start times (UTC) of the event: one, or each of its RRULE minus the EXDATEs, in its own zone."""
    if not event.rrule:
        yield event.starts_at
        return
    zone = zoneinfo.ZoneInfo(event.timezone)
    local_start = event.starts_at.astimezone(zone).replace(tzinfo=None)
    excluded = set(event.exdates)
    for local in rrulestr(event.rrule, dtstart=local_start):
        if local.date().isoformat() not in excluded:
            yield local.replace(tzinfo=zone).astimezone(dt.UTC)


def last_end(event: Event) -> dt.datetime:
    """When the event is over, for its feedback request: a series with an end (a training in four
    parts: COUNT or UNTIL) is asked about once, after its last meeting; an open-ended series after
    its first, as it has no last."""
    if not event.rrule or not any(part in event.rrule.upper() for part in ("COUNT=", "UNTIL=")):
        return event.ends_at
    starts = list(itertools.islice(occurrences(event), SERIES_LIMIT + 1))
    if not starts or len(starts) > SERIES_LIMIT:
        return event.ends_at
    return starts[-1] + (event.ends_at - event.starts_at)


def next_reminder(event: Event, minutes: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """(due time, occurrence start) of the next reminder still to come, or None."""
    for starts in itertools.islice(occurrences(event), SERIES_LIMIT):
        due = starts - dt.timedelta(minutes=minutes)
        if due > now:
            return due, starts
    return None


def reminder_key(event: Event, minutes: int, occurrence: dt.datetime) -> str:
    """One job per offset; a recurring event has one per occurrence too."""
    base = f"{REMIND_JOB}:{event.id}:{minutes}"
    return f"{base}:{occurrence.strftime('%Y%m%d')}" if event.rrule else base


def schedule_reminder(session: Session, event: Event, minutes: int, now: dt.datetime) -> str | None:
    upcoming = next_reminder(event, minutes, now)
    if upcoming is None:
        return None
    due, starts = upcoming
    key = reminder_key(event, minutes, starts)
    scheduler.schedule(session, kind=REMIND_JOB, key=key, due_at=due,
                       payload={"event_id": event.id, "minutes": minutes, "occurrence": starts.isoformat()})
    return key


def schedule_event_jobs(session: Session, event: Event, *, now: dt.datetime | None = None) -> None:
    """Reminders per offset (default 2 days and 2 hours before; for a recurring event before its next
    occurrence) and one feedback request after `last_end`. Jobs no longer wanted are cancelled."""
    now = now or utcnow()
    wanted = {schedule_reminder(session, event, int(minutes), now) for minutes in event.reminder_minutes}
    feedback_key = f"{FEEDBACK_JOB}:{event.id}"
    scheduler.schedule(session, kind=FEEDBACK_JOB, key=feedback_key, due_at=last_end(event) + FEEDBACK_DELAY,
                       payload={"event_id": event.id})
    wanted.add(feedback_key)
    for job in _pending_jobs(session, event):
        if job.key not in wanted:
            job.status = JobStatus.CANCELLED


# What a list needs to filter, page and version events without loading them whole.
STAMP_COLUMNS = (Event.id, Event.sequence, Event.updated_at, Event.themes, Event.languages)


def _upcoming_query(columns: Sequence[Any], *, kind: str | None, include_cancelled: bool,
                    now: dt.datetime) -> Select[Any]:
    query = select(*columns).where(Event.visibility == Visibility.PUBLIC,
                                   (Event.ends_at >= now) | Event.rrule.is_not(None))
    if not include_cancelled:
        query = query.where(Event.status == EventStatus.SCHEDULED)
    if kind:
        query = query.where(Event.kind == EventKind(kind))
    return query.order_by(Event.starts_at, Event.id)


def upcoming_events(session: Session, *, kind: str | None = None, theme: str | None = None,
                    language: str | None = None, include_cancelled: bool = False, limit: int | None = None,
                    now: dt.datetime | None = None) -> list[Event]:
    """Public events that have not ended (recurring ones while their rule may still run), soonest first."""
    query = _upcoming_query([Event], kind=kind, include_cancelled=include_cancelled, now=now or utcnow())
    events = [e for e in session.scalars(query) if _matches(e, theme, language)]
    return events[:limit] if limit else events


def upcoming_stamps(session: Session, *, kind: str | None = None, theme: str | None = None,
                    language: str | None = None) -> list[Any]:
    """The same events as `upcoming_events`, as light rows (id, sequence, updated_at): for paging."""
    query = _upcoming_query(STAMP_COLUMNS, kind=kind, include_cancelled=False, now=utcnow())
    return [row for row in session.execute(query) if _matches(row, theme, language)]


def feed_stamps(session: Session, *, kind: str | None = None, theme: str | None = None,
                language: str | None = None, since: dt.datetime | None = None) -> list[Any]:
    """Public events for the calendar feed, cancelled ones included, from a year back: light rows."""
    since = since or utcnow() - dt.timedelta(days=365)
    query = select(*STAMP_COLUMNS).where(Event.visibility == Visibility.PUBLIC,
                                         (Event.ends_at >= since) | Event.rrule.is_not(None))
    if kind:
        query = query.where(Event.kind == EventKind(kind))
    rows = session.execute(query.order_by(Event.starts_at, Event.id))
    return [row for row in rows if _matches(row, theme, language)]


def events_by_ids(session: Session, ids: Sequence[int]) -> list[Event]:
    """Whole events for `ids`, in that order."""
    found = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(list(ids))))} if ids else {}
    return [found[i] for i in ids if i in found]


def events_in_year(session: Session, year: int) -> list[Event]:
    """The year calendar (vuosikello): public events starting in `year`."""
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=3)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=3)
    return list(session.scalars(select(Event).where(Event.visibility == Visibility.PUBLIC, Event.starts_at >= start,
                                                    Event.starts_at < end).order_by(Event.starts_at, Event.id)))


def _matches(event: Any, theme: str | None, language: str | None) -> bool:
    """`event` is an Event or a row with its themes and languages."""
    if theme and theme not in event.themes:
        return False
    return not (language and language not in (event.languages or ["fi"]))


def feed_version(events: Sequence[Any]) -> str:
    """What an ETag is made of: every event's id, sequence and last change."""
    return ";".join(f"{e.id}.{e.sequence}.{e.updated_at.timestamp():.6f}" for e in events)


# --- seats ---------------------------------------------------------------------------------------

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
            _promote(session, event, registration)
            taken = _with_seat(taken, registration.participation)
            promoted.append(registration)
    return promoted


def _promote(session: Session, event: Event, registration: Registration) -> None:
    registration.status = RegistrationStatus.CONFIRMED
    registration.promoted_at = registration.updated_at = utcnow()
    session.flush()
    emails.promotion(session, event, registration)


def promote(session: Session, registration_id: int) -> Registration:
    """The organiser gives a waiting person a seat by hand (even beyond the capacity)."""
    registration = _registration(session, registration_id)
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.status is not RegistrationStatus.WAITLISTED:
        raise Conflict("Only a person on the waiting list can be promoted.")
    _promote(session, event, registration)
    return registration


def _registration(session: Session, registration_id: int) -> Registration:
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("There is no such registration.")
    return registration


# --- registration -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CleanRegistration:
    name: str
    email: str
    organisation: str
    participation: Participation
    language: str
    dietary_needs: str
    accessibility_needs: str
    answers: dict[str, Any]


def allowed_participation(event: Event) -> list[Participation]:
    if event.mode is EventMode.ONSITE:
        return [Participation.ONSITE]
    if event.mode is EventMode.ONLINE:
        return [Participation.REMOTE]
    return [Participation.ONSITE, Participation.REMOTE]


def _text(raw: Mapping[str, Any], name: str, limit: int, errors: dict[str, list[str]], *,
          required: bool = False) -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = ["Give text here."]
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = [REQUIRED]
    elif len(value) > limit:
        errors[name] = [TOO_LONG]
    return value


def clean_registration(event: Event, raw: Mapping[str, Any], *, default_language: str = "fi") -> CleanRegistration:
    """Check a registration (page form or API body); InvalidInput names each wrong field."""
    errors: dict[str, list[str]] = {}
    name = _text(raw, "name", 200, errors, required=True)
    email = _text(raw, "email", 254, errors, required=True)
    if email and "email" not in errors and not EMAIL_PATTERN.match(email):
        errors["email"] = [INVALID_EMAIL]
    organisation = _text(raw, "organisation", 200, errors)
    dietary = _text(raw, "dietary_needs", 1000, errors)
    accessibility = _text(raw, "accessibility_needs", 1000, errors)
    offered = allowed_participation(event)
    participation_raw = raw.get("participation") or (offered[0].value if len(offered) == 1 else None)
    participation = offered[0]
    if not participation_raw:
        errors["participation"] = [REQUIRED]
    elif participation_raw not in [p.value for p in Participation]:
        errors["participation"] = [INVALID_CHOICE]
    elif Participation(participation_raw) not in offered:
        errors["participation"] = [PARTICIPATION_NOT_OFFERED]
    else:
        participation = Participation(participation_raw)
    language = raw.get("language") or default_language
    if language not in LANGUAGES:
        errors["language"] = [INVALID_CHOICE]
    answers = clean_answers(event.questions, raw.get("answers"), errors)
    if errors:
        raise InvalidInput("Check these fields: " + ", ".join(sorted(errors)) + ".", errors=errors)
    return CleanRegistration(name, normalise_email(email), organisation, participation, str(language), dietary,
                             accessibility, answers)


def clean_answers(questions: Sequence[Mapping[str, Any]], raw: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    """Answers to the event's own questions; errors are named `answers.<key>`."""
    given: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if raw is not None and not isinstance(raw, Mapping):
        errors["answers"] = ["Give the answers as an object keyed by question."]
    unknown = set(given) - {q["key"] for q in questions}
    for key in sorted(unknown):
        errors[f"answers.{key}"] = ["There is no such question."]
    answers: dict[str, Any] = {}
    for question in questions:
        field = f"answers.{question['key']}"
        answer, problem = _answer(question, given.get(question["key"]))
        if problem:
            errors[field] = [problem]
        elif answer is None and question.get("required"):
            errors[field] = [REQUIRED]
        if answer is not None and not problem:
            answers[question["key"]] = answer
    return answers


YES_NO = {True: True, False: False, "yes": True, "no": False, "true": True, "false": False}


def _answer(question: Mapping[str, Any], value: Any) -> tuple[Any, str | None]:
    """(the cleaned answer or None, a problem or None) for one question by its type."""
    options = [o["value"] for o in question.get("options") or []]
    return _ANSWER_READERS[question["type"]](value, options)


def _text_answer(value: Any, _options: list[str]) -> tuple[Any, str | None]:
    if value is not None and not isinstance(value, str):
        return None, "Give text here."
    text = (value or "").strip()
    return (None, TOO_LONG) if len(text) > 2000 else (text or None, None)


def _single_answer(value: Any, options: list[str]) -> tuple[Any, str | None]:
    return (None, INVALID_CHOICE) if value and value not in options else (value or None, None)


def _multiple_answer(value: Any, options: list[str]) -> tuple[Any, str | None]:
    chosen = [value] if isinstance(value, str) else list(value or [])
    if any(choice not in options for choice in chosen):
        return None, INVALID_CHOICE
    return [o for o in options if o in chosen] or None, None


def _yes_no_answer(value: Any, _options: list[str]) -> tuple[Any, str | None]:
    if value in (None, ""):
        return None, None
    answer = YES_NO.get(value) if isinstance(value, (bool, str)) else None
    return (None, INVALID_CHOICE) if answer is None else (answer, None)


_ANSWER_READERS = {"text": _text_answer, "single": _single_answer, "multiple": _multiple_answer,
                   "yes-no": _yes_no_answer}


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


def register(session: Session, event_id: int, raw: Mapping[str, Any], *, secret_key: str,
             default_language: str = "fi", now: dt.datetime | None = None) -> RegistrationOutcome:
    """Register an address for an event: a seat if one is free, else the end of the waiting list.

    The same address again gets its existing seat or place (nothing changes) and a fresh
    confirmation by email (not when one went out moments ago: a retry or a double click);
    the answer never says more than a first registration would.
    """
    event = lock_event(session, event_id)
    if event.is_cancelled:
        raise Gone("This event has been cancelled.")
    if not registration_is_open(event, now):
        raise Conflict("Registration for this event is not open.")
    clean = clean_registration(event, raw, default_language=default_language)
    address_hash = email_hash(secret_key, clean.email)
    existing = session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                         Registration.email_hash == address_hash))
    if existing is not None and existing.status is not RegistrationStatus.CANCELLED:
        emails.confirmation(session, event, existing, repeat=True)
        session.flush()
        return RegistrationOutcome(existing, created=False)
    taken = seats(session, event.id)
    status = (RegistrationStatus.CONFIRMED if has_free_seat(event, taken, clean.participation)
              and not _someone_waits_for(session, event, clean.participation) else RegistrationStatus.WAITLISTED)
    now = utcnow()
    registration = existing or Registration(event_id=event.id, email_hash=address_hash, created_at=now)
    for name, value in vars(clean).items():
        setattr(registration, name, value)
    registration.status, registration.queued_at, registration.updated_at = status, now, now
    registration.cancelled_at = registration.promoted_at = None
    registration.checked_in = False
    if existing is None:
        session.add(registration)
    session.flush()
    emails.confirmation(session, event, registration)
    return RegistrationOutcome(registration, created=existing is None)


def _someone_waits_for(session: Session, event: Event, participation: Participation) -> bool:
    """A free seat goes to the waiting list first (only possible with split capacities)."""
    return any(r.participation is participation for r in waiting_list(session, event.id))


def cancel_registration(session: Session, registration_id: int) -> Registration:
    """Cancel a seat or leave the waiting list; a freed seat goes to the first waiting person."""
    registration = _registration(session, registration_id)
    event = lock_event(session, registration.event_id)
    session.refresh(registration)
    if registration.status is RegistrationStatus.CANCELLED:
        return registration
    had_seat = registration.holds_seat
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = registration.updated_at = utcnow()
    session.flush()
    emails.cancellation(session, event, registration)
    if had_seat:
        fill_free_seats(session, event)
    return registration


def set_checked_in(session: Session, registration_id: int, checked_in: bool) -> Registration:
    registration = _registration(session, registration_id)
    if checked_in and registration.status is not RegistrationStatus.CONFIRMED:
        raise Conflict("Only a confirmed participant can be checked in.")
    registration.checked_in = checked_in
    registration.updated_at = utcnow()
    session.flush()
    return registration


def registration_from_token(session: Session, purpose: str, token: str, max_age: int) -> Registration:
    """The registration a link is for; TokenExpired / TokenInvalid / NotFound otherwise."""
    registration = session.get(Registration, links.registration_id_from(purpose, token, max_age))
    if registration is None or registration.erased_at is not None:
        raise NotFound("There is no such registration.")
    return registration


def registrations_of_person(session: Session, registration: Registration) -> list[Registration]:
    """Every active registration of the same address (for the personal calendar feed)."""
    return list(session.scalars(select(Registration).where(
        Registration.email_hash == registration.email_hash,
        Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)))
        .order_by(Registration.id)))


# --- organiser reports --------------------------------------------------------------------------

def list_registrations(session: Session, event_id: int, status: str | None = None) -> list[Registration]:
    get_event(session, event_id)
    query = select(Registration).where(Registration.event_id == event_id)
    if status:
        query = query.where(Registration.status == RegistrationStatus(status))
    return list(session.scalars(query.order_by(Registration.queued_at, Registration.id)))


def registration_counts(session: Session, event_id: int) -> dict[str, Any]:
    """Counts by status, participation mode and organisation (confirmed seats), plus check-ins."""
    event = get_event(session, event_id)
    rows = list_registrations(session, event_id)
    confirmed = [r for r in rows if r.status is RegistrationStatus.CONFIRMED]
    return {
        "event_id": event.id,
        "capacity": event.capacity,
        "by_status": dict(Counter(r.status.value for r in rows)),
        "by_participation": dict(Counter(r.participation.value for r in confirmed)),
        "by_organisation": dict(sorted(Counter(r.organisation or "-" for r in confirmed).items())),
        "checked_in": sum(1 for r in confirmed if r.checked_in),
    }


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV that Excel opens as UTF-8: a byte-order mark first, semicolon-free commas, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


def registrations_csv(session: Session, event_id: int) -> str:
    event = get_event(session, event_id)
    questions = [q["key"] for q in event.questions]
    header = ["status", "queue_position", "name", "email", "organisation", "participation", "language",
              "dietary_needs", "accessibility_needs", *questions, "checked_in", "registered_at"]
    waiting_positions = {r.id: i for i, r in enumerate(waiting_list(session, event_id), start=1)}
    rows = []
    for r in list_registrations(session, event_id):
        answers = [_answer_text(r.answers.get(key)) for key in questions]
        rows.append([r.status.value, waiting_positions.get(r.id, ""), r.name, r.email, r.organisation,
                     r.participation.value, r.language, r.dietary_needs, r.accessibility_needs, *answers,
                     "yes" if r.checked_in else "no", r.created_at.isoformat(timespec="seconds")])
    return csv_text(header, rows)


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


# --- feedback -----------------------------------------------------------------------------------

def submit_feedback(session: Session, registration: Registration, raw: Mapping[str, Any]) -> FeedbackResponse:
    """One response per registration: ratings 1-5 and free text, per the event's feedback questions."""
    event = registration.event
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise Conflict("Only participants can give feedback.")
    if session.scalar(select(FeedbackResponse.id).where(FeedbackResponse.registration_id == registration.id)):
        raise Conflict("You have already given feedback. Thank you!")
    errors: dict[str, list[str]] = {}
    ratings: dict[str, int] = {}
    texts: dict[str, str] = {}
    for question in event.feedback_questions:
        key = question["key"]
        value = raw.get(key)
        if value in (None, ""):
            continue
        if question["type"] == "rating":
            rating = _rating(value)
            if rating is None:
                errors[key] = ["Choose a number from 1 to 5."]
            else:
                ratings[key] = rating
        elif isinstance(value, str) and value.strip():
            if len(value) > 4000:
                errors[key] = [TOO_LONG]
            texts[key] = value.strip()
    if errors:
        raise InvalidInput("Check these fields: " + ", ".join(sorted(errors)) + ".", errors=errors)
    if not ratings and not texts:
        raise InvalidInput("Answer at least one question.", errors={"_schema": ["Answer at least one question."]})
    response = FeedbackResponse(event_id=event.id, registration_id=registration.id, ratings=ratings, texts=texts)
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError as error:
        raise Conflict("You have already given feedback. Thank you!") from error
    return response


def _rating(value: Any) -> int | None:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 5 else None


def _responses(session: Session, event_id: int) -> list[FeedbackResponse]:
    return list(session.scalars(select(FeedbackResponse).where(FeedbackResponse.event_id == event_id)
                                .order_by(FeedbackResponse.id)))


def feedback_summary(session: Session, event_id: int) -> dict[str, Any]:
    """Anonymous summary: per rating question the count, average and 1-5 distribution; texts without names."""
    event = get_event(session, event_id)
    responses = _responses(session, event_id)
    questions: list[dict[str, Any]] = []
    for question in event.feedback_questions:
        key = question["key"]
        entry: dict[str, Any] = {"key": key, "type": question["type"], "label": question["label"]}
        if question["type"] == "rating":
            values = [r.ratings[key] for r in responses if key in r.ratings]
            entry.update(count=len(values), average=round(sum(values) / len(values), 2) if values else None,
                         distribution={str(n): values.count(n) for n in range(1, 6)})
        else:
            entry["answers"] = sorted(r.texts[key] for r in responses if r.texts.get(key))
        questions.append(entry)
    return {"event_id": event.id, "responses": len(responses), "questions": questions}


def feedback_csv(session: Session, event_id: int) -> str:
    event = get_event(session, event_id)
    keys = [q["key"] for q in event.feedback_questions]
    rows = [[n, *[r.ratings.get(k, r.texts.get(k, "")) for k in keys]]
            for n, r in enumerate(_responses(session, event_id), start=1)]
    return csv_text(["response", *keys], rows)


# --- scheduled work -------------------------------------------------------------------------------

def reminder_label(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def send_reminders(session: Session, event_id: int, minutes: int, occurrence: str | None = None) -> int:
    """Remind every confirmed participant (remote participants get the online link); for a recurring
    event, schedule the reminder of the next occurrence."""
    event = session.get(Event, event_id)
    if event is None or event.is_cancelled:
        return 0
    label = reminder_label(minutes)
    starts = dt.datetime.fromisoformat(occurrence) if occurrence else event.starts_at
    if event.rrule:
        label = f"{label}:{starts.strftime('%Y%m%d')}"
    confirmed = [r for r in active_registrations(session, event_id) if r.holds_seat]
    for registration in confirmed:
        emails.reminder(session, event, registration, label, starts)
    if event.rrule:
        schedule_reminder(session, event, minutes, starts - dt.timedelta(minutes=minutes))
    return len(confirmed)


def send_feedback_requests(session: Session, event_id: int) -> int:
    event = session.get(Event, event_id)
    if event is None or event.is_cancelled or not event.feedback_questions:
        return 0
    confirmed = [r for r in active_registrations(session, event_id) if r.holds_seat]
    for registration in confirmed:
        emails.feedback_request(session, event, registration)
    return len(confirmed)


# --- personal data ------------------------------------------------------------------------------

def export_personal_data(session: Session, email: str, *, secret_key: str) -> dict[str, Any]:
    """Everything held about an address: registrations with their answers, and feedback given."""
    address_hash = email_hash(secret_key, email)
    registrations = list(session.scalars(select(Registration).where(Registration.email_hash == address_hash)
                                         .order_by(Registration.id)))
    feedback = list(session.scalars(select(FeedbackResponse).where(
        FeedbackResponse.registration_id.in_([r.id for r in registrations]))))
    by_registration = {f.registration_id: f for f in feedback}
    return {
        "registrations": [{
            "event": r.event.text("title", r.language), "event_slug": r.event.slug,
            "starts_at": r.event.starts_at.isoformat(), "status": r.status.value, "name": r.name, "email": r.email,
            "organisation": r.organisation, "participation": r.participation.value, "language": r.language,
            "dietary_needs": r.dietary_needs, "accessibility_needs": r.accessibility_needs, "answers": r.answers,
            "checked_in": r.checked_in, "registered_at": r.created_at.isoformat(),
        } for r in registrations],
        "feedback": [{
            "event": r.event.text("title", r.language), "ratings": by_registration[r.id].ratings,
            "texts": by_registration[r.id].texts, "submitted_at": by_registration[r.id].submitted_at.isoformat(),
        } for r in registrations if r.id in by_registration],
    }


def erase_person(session: Session, address_hash: str) -> int:
    """Erase an address: names, addresses and free-text answers go; anonymous counts stay.

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
        freed = registration.holds_seat and event.ends_at > now
        if freed or (registration.status is RegistrationStatus.WAITLISTED):
            registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
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
    registration.email_hash = f"erased-{secrets.token_hex(25)}"
    registration.dietary_needs = registration.accessibility_needs = ""
    registration.answers = {k: v for k, v in registration.answers.items() if k not in text_keys}
    registration.erased_at = registration.updated_at = now
    given = select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    for response in session.scalars(given):
        response.texts = {}
        response.registration_id = None
