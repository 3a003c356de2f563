"""iCalendar (RFC 5545 / RFC 7986) output for feeds and email attachments.

The text is written directly, not through icalendar's object model: a 1,000-event feed is
served faster than icalendar alone serialises the same calendar (bench/feeds.py). Only the
VTIMEZONE blocks come from icalendar (`Timezone.from_tzid`), cached per zone and year range.
Every event has a stable UID `<uuid>@<domain>`, so a feed entry and an email attachment are
the same calendar object; the domain is stored once (`calendar_domain`), so a new ELO_BASE_URL
keeps every UID; SEQUENCE grows when time or place changes; a cancelled event stays
with STATUS:CANCELLED. A mailed copy names its ORGANIZER; a cancellation mail is METHOD:CANCEL with
the person as ATTENDEE and a SEQUENCE above every copy they got, so their calendar drops the entry.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from icalendar import Timezone
from sqlalchemy import Insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.events.models import CalendarDomain, Event, EventMode, EventStatus

PRODID = "-//ELO-verkosto//Events//FI"
REFRESH_INTERVAL = "PT1H"
_ESCAPES = re.compile(r"([\\;,\n])")
_ESCAPED = {"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"}
ONLINE_LOCATION = {"fi": "Etänä (verkossa)", "sv": "På distans (online)", "en": "Online"}
ORGANISING_NETWORK = {"fi": "Järjestäjä", "sv": "Arrangör", "en": "Organised by"}
OPEN_NATIONWIDE = {"fi": "avoin koko maalle", "sv": "öppet för hela landet", "en": "open nationwide"}


@dataclass(frozen=True)
class Personal:
    """A registered participant's own copy: the online link they may see; in mail (iTIP) the organiser
    and the person as (name, address); `cancelled` when their registration ended while the event goes
    on (STATUS:CANCELLED, SEQUENCE one above the event's), with `stamp` the time of the cancellation."""

    online_url: str = ""
    organizer: tuple[str, str] | None = None
    attendee: tuple[str, str] | None = None
    cancelled: bool = False
    stamp: dt.datetime | None = None


@dataclass(frozen=True)
class FeedEntry:
    """An event of the national feed: its network's UID domain and event page, and the network's name."""

    event: Event
    host: str
    url: str
    network_name: str
    open_nationwide: bool = False


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _ESCAPES.sub(lambda match: _ESCAPED[match.group(1)], value)


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 3.1)."""
    if len(line) <= 75 and line.isascii():
        return line
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    start, limit = 0, 75
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(encoded[start:end].decode())
        start, limit = end, 74  # continuation lines begin with a space
    return "\r\n ".join(parts)


def utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def local_stamp(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y%m%dT%H%M%S")


def uid_of(event: Event, host: str) -> str:
    return f"{event.uid}@{host}"


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def calendar_domain(session: Session, base_url: str) -> str:
    """The domain of every UID: the host of `base_url` the first time a UID is made, stored and kept
    from then on (a moved site keeps its UIDs). Writes the row when it is missing; the caller commits it."""
    stored = select(CalendarDomain.domain)
    domain: str | None = session.scalar(stored)
    if domain is None:
        session.execute(_insert_once(session, host_of(base_url)))
        domain = session.scalars(stored).one()
    return domain


def _insert_once(session: Session, domain: str) -> Insert:
    """The one row, unless another process stored it first (then that one stays)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(CalendarDomain).values(name="calendar", domain=domain).on_conflict_do_nothing(
        index_elements=["name"])


@functools.lru_cache(maxsize=64)
def vtimezone(zone: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE block of `zone` covering the years the events use (icalendar, cached)."""
    block = Timezone.from_tzid(zone, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1))
    text: str = block.to_ical().decode()
    return text.replace("\r\n", "\n").strip().replace("\n", "\r\n")


def plain_description(event: Event, language: str, event_url: str, personal: Personal | None,
                      organising: str = "") -> str:
    parts = [event.text("description", language).strip(), organising, event_url]
    if event.organiser_name or event.organiser_email:
        parts.append(" ".join(p for p in (event.organiser_name, event.organiser_email) if p))
    if personal is not None and personal.online_url:
        parts.append(personal.online_url)
    return "\n\n".join(p for p in parts if p)


def location_of(event: Event, language: str, personal: Personal | None) -> str:
    if event.mode is EventMode.ONLINE:
        online = ONLINE_LOCATION.get(language, ONLINE_LOCATION["en"])
        return f"{online}: {personal.online_url}" if personal and personal.online_url else online
    if event.mode is EventMode.HYBRID:
        return f"{event.address} / {ONLINE_LOCATION.get(language, ONLINE_LOCATION['en'])}"
    return event.address


def vevent_lines(event: Event, *, host: str, language: str, event_url: str,
                 personal: Personal | None = None, organising: str = "") -> list[str]:
    """The VEVENT of one event (public unless `personal` carries the online link); `organising` is a line
    of the description naming the organising network (national feed)."""
    zone = event.timezone
    event_cancelled = event.status is EventStatus.CANCELLED
    person_cancelled = personal is not None and personal.cancelled and not event_cancelled
    status = "CANCELLED" if event_cancelled or person_cancelled else "CONFIRMED"
    stamp = personal.stamp if personal is not None and personal.stamp else event.updated_at
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid_of(event, host)}",
        f"DTSTAMP:{utc_stamp(max(stamp, event.updated_at))}",
        f"CREATED:{utc_stamp(event.created_at)}",
        f"LAST-MODIFIED:{utc_stamp(event.updated_at)}",
        f"SEQUENCE:{event.sequence + (1 if person_cancelled else 0)}",
        f"STATUS:{status}",
        *_people_lines(personal),
        f"SUMMARY:{escape_text(event.text('title', language))}",
        f"DTSTART;TZID={zone}:{local_stamp(event.starts_at, zone)}",
        f"DTEND;TZID={zone}:{local_stamp(event.ends_at, zone)}",
        f"DESCRIPTION:{escape_text(plain_description(event, language, event_url, personal, organising))}",
        f"URL:{event_url}",
    ]
    location = location_of(event, language, personal)
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if event.themes:
        lines.append("CATEGORIES:" + ",".join(escape_text(theme) for theme in event.themes))
    if event.rrule:
        lines.append(f"RRULE:{event.rrule}")
        start_time = event.starts_at.astimezone(zoneinfo.ZoneInfo(zone)).strftime("T%H%M%S")
        for excluded in event.exdates:
            lines.append(f"EXDATE;TZID={zone}:{str(excluded).replace('-', '')}{start_time}")
    if status == "CANCELLED":
        lines.append("TRANSP:TRANSPARENT")
    lines.append("END:VEVENT")
    return lines


def _people_lines(personal: Personal | None) -> list[str]:
    """ORGANIZER (and ATTENDEE) of a mailed copy: RFC 5546 needs the organiser in PUBLISH and CANCEL."""
    lines = []
    for name, person in (("ORGANIZER", personal and personal.organizer), ("ATTENDEE", personal and personal.attendee)):
        if person:
            display, address = person
            common_name = f';CN="{_param_text(display)}"' if _param_text(display) else ""
            lines.append(f"{name}{common_name}:mailto:{address}")
    return lines


def _param_text(value: str) -> str:
    """A parameter value (RFC 5545 3.2): no double quotes or control characters."""
    return "".join(ch for ch in value if ch != '"' and ch.isprintable()).strip()


def calendar_text(events: Sequence[Event], *, host: str, name: str, language: str,
                  url_for_event: Callable[[str], str] | None = None, base_url: str = "",
                  personal: dict[int, Personal] | None = None, method: str = "PUBLISH") -> str:
    """A whole VCALENDAR (METHOD:PUBLISH, or CANCEL for a cancellation mail) with one VTIMEZONE per TZID used."""
    lines = _calendar_head(name, method)
    lines.extend(_timezones(events))
    for event in events:
        event_url = url_for_event(event.slug) if url_for_event else f"{base_url}/events/{event.slug}"
        lines.extend(vevent_lines(event, host=host, language=language, event_url=event_url,
                                  personal=(personal or {}).get(event.id)))
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def national_calendar_text(entries: Sequence[FeedEntry], *, name: str, language: str) -> str:
    """The national feed: events of several networks, each with its own UID domain and event page, and
    its organising network (and "open nationwide" for a remote one) in the description."""
    lines = _calendar_head(name, "PUBLISH")
    lines.extend(_timezones(entry.event for entry in entries))
    for entry in entries:
        lines.extend(vevent_lines(entry.event, host=entry.host, language=language, event_url=entry.url,
                                  organising=organising_line(entry, language)))
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def organising_line(entry: FeedEntry, language: str) -> str:
    """The description's line naming the network, e.g. Järjestäjä: Lapin ELO-verkosto (avoin koko maalle)."""
    line = f"{ORGANISING_NETWORK.get(language, ORGANISING_NETWORK['en'])}: {entry.network_name}"
    if entry.open_nationwide:
        line += f" ({OPEN_NATIONWIDE.get(language, OPEN_NATIONWIDE['en'])})"
    return line


def _calendar_head(name: str, method: str) -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"NAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Europe/Helsinki",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH_INTERVAL}",
        f"X-PUBLISHED-TTL:{REFRESH_INTERVAL}",
    ]


def _timezones(events: Iterable[Event]) -> list[str]:
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        first, last = years.get(event.timezone, (event.starts_at.year, event.ends_at.year))
        last_year = event.ends_at.year + (2 if event.rrule else 0)
        years[event.timezone] = (min(first, event.starts_at.year), max(last, last_year))
    lines: list[str] = []
    for zone, (first, last) in sorted(years.items()):
        lines.extend(vtimezone(zone, first, last).split("\r\n"))
    return lines
