"""When things happen: the occurrences of a recurring event, its reminders and its feedback request.

Reminders and the feedback request are scheduler jobs (rows with `due_at`, shared.scheduler) keyed
per event, offset and occurrence, so scheduling again replaces instead of doubling.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterator

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events import emails
from services.events.models import Event
from services.events.operations.seats import active_registrations
from shared import scheduler
from shared.db import utcnow
from shared.models import Job, JobStatus

REMIND_JOB = "events.remind"
FEEDBACK_JOB = "events.feedback"
FEEDBACK_DELAY = dt.timedelta(minutes=30)
SERIES_LIMIT = 1000  # occurrences looked at; a longer series counts as open-ended


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


def cancel_pending_jobs(session: Session, event: Event) -> None:
    """A cancelled event sends no more reminders nor a feedback request."""
    for job in _pending_jobs(session, event):
        job.status = JobStatus.CANCELLED


def _pending_jobs(session: Session, event: Event) -> list[Job]:
    return list(session.scalars(select(Job).where(
        Job.status == JobStatus.PENDING,
        Job.key.startswith(f"{REMIND_JOB}:{event.id}:") | (Job.key == f"{FEEDBACK_JOB}:{event.id}"))))


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
