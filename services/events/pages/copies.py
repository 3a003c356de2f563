"""Rendered copies of the public events list and the event pages (issue #19), as the calendar feeds keep
theirs: a page is rendered once and served again while nothing it shows has changed.

What a copy depends on is its key:
- the events: `listing.events_marker` (count, newest change, highest id of all events; one aggregate row);
- the free seats: the very rows they are counted from (`seats.seat_rows`, one grouped query for the events
  shown), so "3 seats left" is never stale;
- the request: host, network prefix, path and query, language, plain language or not;
- time: a copy expires when something shown changes with the clock alone (an event ends and leaves the
  list, registration opens or closes, a new year), and after MAX_AGE in any case.

A request with a message to show (a flash) is rendered as before. Copies live in this process (a few hundred
pages, least recently used dropped first).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request, session
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from services.events import links
from services.events.models import Event, db
from services.events.operations import listing, seats
from shared.db import utcnow
from shared.plain_language import plain_requested
from shared.web import current_language

MAX_AGE = dt.timedelta(minutes=5)


class Copies:
    """Thread-safe LRU of values with an expiry time."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[Any, tuple[Any, dt.datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, now: dt.datetime) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[1] <= now:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Any, value: Any, expires_at: dt.datetime) -> None:
        with self._lock:
            self._items[key] = (value, expires_at)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


pages = Copies()
compositions = Copies()


def request_key() -> tuple[Any, ...]:
    """Everything of the request a public page's text depends on, and which database it reads."""
    return (request.host, request.script_root, request.full_path, current_language(), plain_requested(),
            links.base_url(), database_key())


def database_key() -> str:
    bind = db.session().get_bind()
    return str(bind.engine.url if isinstance(bind, Connection) else bind.url)


def cacheable() -> bool:
    """A page with a message for this reader (a flash) is theirs alone."""
    return not session.get("_flashes")


def expiry(events: Iterable[Event], now: dt.datetime, *also: dt.datetime | None) -> dt.datetime:
    """The first moment after `now` at which one of `events` changes with the clock alone: registration
    opens or closes, it starts or ends; or one of `also`; at the latest now + MAX_AGE."""
    moments = [now + MAX_AGE, dt.datetime(now.year + 1, 1, 1, tzinfo=dt.UTC), *[m for m in also if m]]
    for event in events:
        moments.extend(m for m in (event.registration_opens_at, event.registration_closes_at, event.starts_at,
                                   event.ends_at) if m is not None)
    return min(m for m in moments if m > now)


def seat_key(rows: dict[int, list[seats.SeatRow]]) -> tuple[Any, ...]:
    return tuple((event_id, tuple((status.value, way.value, count) for status, way, count in found))
                 for event_id, found in sorted(rows.items()))


@dataclass(frozen=True)
class ListPage:
    """Which events one page of the list shows (ids in order), which of them take registrations now,
    the page number and the number of pages."""

    ids: tuple[int, ...]
    open_ids: tuple[int, ...]
    page: int
    pages: int
    expires_at: dt.datetime


def list_page(db_session: Session, filters: tuple[Any, ...], compose: Callable[[], tuple[list[Event], int, int]],
              is_open: Callable[[Event], bool]) -> tuple[ListPage, str, list[Event] | None]:
    """The page's composition (kept by the events' marker and `filters`) and the marker; the loaded
    events when it was composed just now (else None)."""
    now = utcnow()
    marker = listing.events_marker(db_session)[0]
    key = (request.host, request.script_root, database_key(), marker, filters)
    found: ListPage | None = compositions.get(key, now)
    if found is not None:
        return found, marker, None
    shown, page, pages_count = compose()
    expires_at = expiry(shown, now, listing.next_upcoming_end(db_session, now))
    composed = ListPage(tuple(e.id for e in shown), tuple(e.id for e in shown if is_open(e)), page, pages_count,
                        expires_at)
    compositions.put(key, composed, expires_at)
    return composed, marker, shown


def serve(key: tuple[Any, ...], expires_at: dt.datetime, render: Callable[[], str]) -> str:
    """The copy kept for `key` (with the request's own part added), else `render()` kept until `expires_at`."""
    if not cacheable():
        return render()
    now = utcnow()
    full_key = (*key, request_key())
    text: str | None = pages.get(full_key, now)
    if text is None:
        text = render()
        pages.put(full_key, text, expires_at)
    return text


def availability(events: Sequence[Event], rows: dict[int, list[seats.SeatRow]]) -> dict[int, list[seats.Availability]]:
    return {event.id: seats.availability_of(event, rows[event.id]) for event in events if event.id in rows}
