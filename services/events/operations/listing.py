"""Finding events to show: upcoming public events, the year calendar, and the light rows the
calendar feeds and the paged list are versioned and paged by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.events.models import Event, EventKind, EventStatus, Visibility
from shared.db import utcnow
from shared.formatting import helsinki_year_bounds

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
    """The year calendar (vuosikello): public events starting in `year` as Helsinki counts it."""
    start, end = helsinki_year_bounds(year)
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


def events_marker(session: Session) -> tuple[str, dt.datetime | None]:
    """What changes whenever any event does (count, newest change, highest id; one aggregate row): the
    version of the rendered copies of the list, the event pages and the feeds (`pages.copies`); and the
    newest change."""
    count, changed_at, highest_id = session.execute(
        select(func.count(Event.id), func.max(Event.updated_at), func.max(Event.id))).one()
    changed = f"{changed_at.timestamp():.6f}" if changed_at else "-"
    return f"{count}.{changed}.{highest_id}", changed_at


def next_upcoming_end(session: Session, now: dt.datetime) -> dt.datetime | None:
    """When the next public, not recurring event ends (and so leaves the upcoming list)."""
    return session.scalar(select(func.min(Event.ends_at)).where(
        Event.visibility == Visibility.PUBLIC, Event.rrule.is_(None), Event.ends_at >= now))
