"""The national calendar (issue #16): at the plain prefix, `/events/` and `/events/calendar.ics` show the public
events of every network of the deployment, each named with the network that organises it.

Each network's events are read in a session of that network (`using_network`), never through `db.session`,
which belongs to the request's network. `/<slug>/events/…` stays one network's calendar, and so does the
default network at `/<its slug>/events/…`. A deployment without added networks keeps its one-network pages.

The national feed is rendered once and kept (per process, by ETag) until some network's events change: the
ETag is made of one cheap marker per network (count, newest change and highest id of its events), so a poll
of an unchanged feed reads one aggregate row per network and renders nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from services.events.calendar import FeedEntry, calendar_domain
from services.events.models import Event, EventKind, EventMode, EventStatus, Participation, Visibility, db
from services.events.operations import listing, registrations, seats
from shared.db import READ_ONLY_OPTION, schema_of, utcnow
from shared.network_registry import app_networks
from shared.networks import NETWORK_ENVIRON, Network, settings_for, using_network
from shared.settings import Settings

MODES = tuple(mode.value for mode in EventMode)
FEED_WINDOW = dt.timedelta(days=365)  # as the one-network feed: events from a year back


def is_national_view() -> bool:
    """The request came in at the plain prefix (`/events/…`), not at a network's `/<slug>/events/…`
    (the default network also answers at its own slug), and the deployment has added networks."""
    if request.environ.get(NETWORK_ENVIRON) is not None:
        return False
    first_segment = request.script_root.lstrip("/").partition("/")[0]
    return first_segment != _base_settings().network_slug and bool(app_networks())


def _base_settings() -> Settings:
    settings: Settings = current_app.config["ELO_SETTINGS"]
    return settings


@dataclass(frozen=True)
class Organiser:
    """A network as the national calendar sees it; `network` None is the default network."""

    network: Network | None
    settings: Settings

    @property
    def slug(self) -> str:
        return self.network.slug if self.network else self.settings.network_slug

    @property
    def base_url(self) -> str:
        return self.settings.base_url.rstrip("/")

    def name_in(self, language: str) -> str:
        return self.settings.network_name_in(language)

    def event_url(self, event_slug: str) -> str:
        return f"{self.base_url}/events/{event_slug}"

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session of this network's database, committed at the end (the calendar domain may be written)."""
        with using_network(self.network), db.transaction() as session:
            yield session


def organisers(slugs: Sequence[str] = ()) -> list[Organiser]:
    """The default network first, then the added ones in the order they were added; only `slugs` when given."""
    base = _base_settings()
    every = [Organiser(network, settings_for(base, network)) for network in (None, *app_networks())]
    return [organiser for organiser in every if not slugs or organiser.slug in slugs]


def unknown_slugs(slugs: Sequence[str]) -> list[str]:
    known = {organiser.slug for organiser in organisers()}
    return [slug for slug in slugs if slug not in known]


def open_nationwide(event: Event) -> bool:
    """Anyone in the country can take part: the event can be followed remotely (online or hybrid)."""
    return Participation.REMOTE in event.ways_to_take_part()


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    theme: str | None = None
    language: str | None = None
    mode: str | None = None

    def matches(self, row: Any) -> bool:
        """`row` has themes and languages (an Event or a light row)."""
        if self.theme and self.theme not in row.themes:
            return False
        return not (self.language and self.language not in (row.languages or ["fi"]))

    def narrow(self, query: Select[Any]) -> Select[Any]:
        if self.kind:
            query = query.where(Event.kind == EventKind(self.kind))
        if self.mode:
            query = query.where(Event.mode == EventMode(self.mode))
        return query

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.theme}|{self.language}|{self.mode}"


# --- the list --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Upcoming:
    """One upcoming event in the national order, light: which network, its id there, when it starts."""

    starts_at: dt.datetime
    position: int  # the organiser's place in the list of networks
    event_id: int


@dataclass(frozen=True)
class Listed:
    """An event on the national list with the network that organises it."""

    event: Event
    organiser: Organiser
    availability: list[seats.Availability]

    @property
    def url(self) -> str:
        return self.organiser.event_url(self.event.slug)

    @property
    def open_nationwide(self) -> bool:
        return open_nationwide(self.event)


def upcoming(chosen: Sequence[Organiser], filters: Filters) -> list[Upcoming]:
    """Every chosen network's public upcoming events (scheduled, not ended), soonest first."""
    now = utcnow()
    query = filters.narrow(select(Event.id, Event.starts_at, Event.themes, Event.languages).where(
        Event.visibility == Visibility.PUBLIC, Event.status == EventStatus.SCHEDULED,
        (Event.ends_at >= now) | Event.rrule.is_not(None)))
    found: list[Upcoming] = []
    for position, organiser in enumerate(chosen):
        with organiser.session() as session:
            found.extend(Upcoming(row.starts_at, position, row.id) for row in session.execute(query)
                         if filters.matches(row))
    return sorted(found, key=lambda item: (item.starts_at, item.position, item.event_id))


def listed(chosen: Sequence[Organiser], page: Sequence[Upcoming]) -> list[Listed]:
    """The whole events of one page of `upcoming`, with their free seats, read network by network."""
    by_id: dict[tuple[int, int], Listed] = {}
    for position in sorted({item.position for item in page}):
        organiser = chosen[position]
        with organiser.session() as session:
            events = listing.events_by_ids(session, [item.event_id for item in page if item.position == position])
            free = seats.availability_by_event(session, [event for event in events
                                                         if registrations.registration_is_open(event)])
            for event in events:
                by_id[position, event.id] = Listed(event, organiser, free.get(event.id, []))
    return [by_id[item.position, item.event_id] for item in page if (item.position, item.event_id) in by_id]


# --- the feed --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Marker:
    """What changes whenever a network's events do: how many, the newest change, the highest id."""

    count: int
    changed_at: dt.datetime | None
    highest_id: int | None

    def __str__(self) -> str:
        changed = f"{self.changed_at.timestamp():.6f}" if self.changed_at else "-"
        return f"{self.count}.{changed}.{self.highest_id}"


def markers(chosen: Sequence[Organiser]) -> list[Marker]:
    """One aggregate query per network; on PostgreSQL (a schema per network, one database) one query for all."""
    if len(chosen) > 1 and db.default_engine.dialect.name == "postgresql":
        return _markers_at_once(chosen)
    query = select(func.count(Event.id), func.max(Event.updated_at), func.max(Event.id))
    found = []
    for organiser in chosen:  # a read: no session, no write lock on SQLite
        with db.engine_for(organiser.network).connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
            count, changed_at, highest_id = connection.execute(query).one()
            found.append(Marker(count, changed_at, highest_id))
    return found


def _markers_at_once(chosen: Sequence[Organiser]) -> list[Marker]:
    parts = [f'SELECT {position} AS position, count(id), max(updated_at), max(id) '  # noqa: S608 - schema names
             f'FROM "{schema_of(organiser.network)}".events'  # are checked slugs (shared.networks)
             for position, organiser in enumerate(chosen)]
    with db.default_engine.connect() as connection:
        rows = sorted(connection.execute(text(" UNION ALL ".join(parts))).all())
    return [Marker(count, changed_at, highest_id) for _position, count, changed_at, highest_id in rows]


def feed_entries(chosen: Sequence[Organiser], filters: Filters, language: str) -> list[FeedEntry]:
    """Every chosen network's public events from a year back (cancelled ones included), in time order."""
    since = utcnow() - FEED_WINDOW
    entries: list[tuple[tuple[dt.datetime, int, int], FeedEntry]] = []
    for position, organiser in enumerate(chosen):
        with organiser.session() as session:
            rows = listing.feed_stamps(session, kind=filters.kind, theme=filters.theme, language=filters.language,
                                       since=since)
            host = calendar_domain(session, organiser.base_url)
            network_name = organiser.name_in(language)
            for event in listing.events_by_ids(session, [row.id for row in rows]):
                if filters.mode and event.mode.value != filters.mode:
                    continue
                entry = FeedEntry(event, host=host, url=organiser.event_url(event.slug), network_name=network_name,
                                  open_nationwide=open_nationwide(event))
                entries.append(((event.starts_at, position, event.id), entry))
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]


# --- the list's rendered copies (pages.copies) ---------------------------------------------------------------

@dataclass(frozen=True)
class NationalPage:
    """One page of the national list: its events in order, which of them take registrations now (by
    organiser position and id), the page number and the number of pages."""

    items: tuple[Upcoming, ...]
    open_items: tuple[tuple[int, int], ...]
    page: int
    pages: int
    expires_at: dt.datetime


def seat_key(chosen: Sequence[Organiser], open_items: Sequence[tuple[int, int]]) -> tuple[Any, ...]:
    """The rows the free seats of the page's open events are counted from, network by network (on
    PostgreSQL in one query for all)."""
    if open_items and db.default_engine.dialect.name == "postgresql":
        return _seat_key_at_once(chosen, open_items)
    found: list[Any] = []
    for position in sorted({position for position, _ in open_items}):
        with chosen[position].session() as session:
            rows = seats.seat_rows(session, [event_id for where, event_id in open_items if where == position])
        found.append((position, tuple((event_id, tuple((s.value, p.value, n) for s, p, n in counted))
                                      for event_id, counted in sorted(rows.items()))))
    return tuple(found)


def _seat_key_at_once(chosen: Sequence[Organiser], open_items: Sequence[tuple[int, int]]) -> tuple[Any, ...]:
    parts = []
    for position in sorted({position for position, _ in open_items}):
        ids = ", ".join(str(int(event_id)) for where, event_id in open_items if where == position)
        parts.append(f"SELECT {position} AS position, event_id, coalesce(cancelled_from, status) AS counted, "  # noqa: S608
                     f"participation, count(*) FROM \"{schema_of(chosen[position].network)}\".registrations "
                     f"WHERE event_id IN ({ids}) GROUP BY event_id, coalesce(cancelled_from, status), participation")
    with db.default_engine.connect() as connection:  # schema names are checked slugs, ids integers
        return tuple(sorted(tuple(row) for row in connection.execute(text(" UNION ALL ".join(parts)))))
