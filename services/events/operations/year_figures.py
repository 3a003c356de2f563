"""The network's year in events, for the coordinator's annual report (issue #17): what this service
knows, computed from its own tables; the subscriptions service composes the report from the API's answer
(`GET /events/api/v1/reports/years/<year>`).

The year is the events starting in that calendar year in Helsinki time; registrations and feedback count
in their event's year. A cancelled event is counted apart (`events.cancelled`) and nothing else counts it:
not the kinds, modes and themes, nor its registrations or feedback. Every kind, mode, theme and sector is
present with 0 when nothing matched, so a report's tables keep their rows. Definitions:

- registrations.total: every registration except an unconfirmed hold that expired (`expired`);
- confirmed: a seat at the end (status confirmed); attended: confirmed and marked arrived (checked in);
- remote: confirmed and taking part remotely; remote_share: remote / confirmed (0 when none), 3 decimals;
- cancelled: cancelled by the person or the organiser;
- promoted_from_waiting_list: registrations given a seat from the waiting list (`promoted_at` is set by
  `seats.give_seat`, by hand or automatically), whatever their status is now;
- participants_by_sector / participants_by_organisation: confirmed registrations (one person at three
  events counts three times); `unknown`: registered before the sector was asked; registrations without an
  organisation are not listed by organisation;
- feedback: every held event with its responses and the average of all its 1-5 ratings (every rating
  question, every response; None without ratings), 2 decimals;
- themes: per strategy theme, the held events tagged with it, their confirmed registrations and arrivals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from services.events.models import (
    Event,
    EventKind,
    EventMode,
    EventStatus,
    FeedbackResponse,
    Participation,
    Registration,
    RegistrationStatus,
    Sector,
)
from shared.formatting import helsinki_year_bounds
from shared.labels import THEMES

UNKNOWN_SECTOR = "unknown"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report can be asked for (as the year calendar's pages)


def _in_year(year: int) -> list[ColumnElement[bool]]:
    start, end = helsinki_year_bounds(year)
    return [Event.starts_at >= start, Event.starts_at < end]


def _held(year: int) -> list[ColumnElement[bool]]:
    return [*_in_year(year), Event.status != EventStatus.CANCELLED]


def year_figures(session: Session, year: int, language: str = "fi") -> dict[str, Any]:
    """The year's figures (the shape the annual report codes against); event titles in `language`."""
    year_events = list(session.scalars(select(Event).where(*_in_year(year)).order_by(Event.starts_at, Event.id)))
    held = [event for event in year_events if not event.is_cancelled]
    rows = session.execute(select(
        Registration.event_id, Registration.status, Registration.participation, Registration.checked_in,
        Registration.sector, Registration.organisation, Registration.promoted_at).join(Event).where(*_held(year))).all()
    confirmed = [row for row in rows if row.status is RegistrationStatus.CONFIRMED]
    remote = sum(1 for row in confirmed if row.participation is Participation.REMOTE)
    return {
        "year": year,
        "events": {
            "total": len(held), "cancelled": len(year_events) - len(held),
            "by_kind": _counts([k.value for k in EventKind], (event.kind.value for event in held)),
            "by_mode": _counts([m.value for m in EventMode], (event.mode.value for event in held)),
            "by_theme": _counts(THEMES, (theme for event in held for theme in event.themes)),
        },
        "registrations": {
            "total": sum(1 for row in rows if row.status is not RegistrationStatus.EXPIRED),
            "confirmed": len(confirmed),
            "attended": sum(1 for row in confirmed if row.checked_in),
            "remote": remote,
            "remote_share": round(remote / len(confirmed), 3) if confirmed else 0.0,
            "cancelled": sum(1 for row in rows if row.status is RegistrationStatus.CANCELLED),
            "promoted_from_waiting_list": sum(1 for row in rows if row.promoted_at is not None),
        },
        "participants_by_sector": _by_sector(confirmed),
        "participants_by_organisation": _by_organisation(confirmed),
        "feedback": _feedback(session, held, year, language),
        "themes": _themes(held, confirmed),
    }


def _counts(keys: Iterable[str], values: Iterable[str]) -> dict[str, int]:
    """Every known key with its count (0 included); values outside the keys are left out."""
    counted = Counter(values)
    return {key: counted[key] for key in keys}


def _by_sector(confirmed: list[Any]) -> dict[str, int]:
    counted = _counts([s.value for s in Sector], (row.sector.value for row in confirmed if row.sector))
    unknown = sum(1 for row in confirmed if row.sector is None)
    return {**counted, UNKNOWN_SECTOR: unknown} if unknown else counted


def _by_organisation(confirmed: list[Any]) -> list[dict[str, Any]]:
    counted = Counter(row.organisation.strip() for row in confirmed if row.organisation.strip())
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))
    return [{"organisation": name, "count": count} for name, count in ordered]


def _feedback(session: Session, held: list[Event], year: int, language: str) -> list[dict[str, Any]]:
    ratings: dict[int, list[int]] = {event.id: [] for event in held}
    responses: Counter[int] = Counter()
    for event_id, given in session.execute(select(FeedbackResponse.event_id, FeedbackResponse.ratings)
                                           .join(Event).where(*_held(year))):
        responses[event_id] += 1
        ratings[event_id].extend(int(value) for value in (given or {}).values() if isinstance(value, int))
    return [{"event_id": event.id, "slug": event.slug, "title": event.text("title", language),
             "starts_at": event.starts_at.isoformat(), "responses": responses[event.id],
             "average": round(sum(ratings[event.id]) / len(ratings[event.id]), 2) if ratings[event.id] else None}
            for event in held]


def _themes(held: list[Event], confirmed: list[Any]) -> dict[str, dict[str, int]]:
    seats = Counter(row.event_id for row in confirmed)
    arrived = Counter(row.event_id for row in confirmed if row.checked_in)
    return {theme: {"events": sum(1 for event in held if theme in event.themes),
                    "registrations": sum(seats[event.id] for event in held if theme in event.themes),
                    "attended": sum(arrived[event.id] for event in held if theme in event.themes)}
            for theme in THEMES}


def year_participants(session: Session, year: int) -> list[dict[str, str]]:
    """The people with a seat (confirmed) at an event held in the year, once per address (their newest
    registration gives the name and language), by address: the survey's "this year's participants".
    Erased registrations have no address and are left out."""
    rows = session.execute(select(Registration.email, Registration.name, Registration.language).join(Event)
                           .where(*_held(year), Registration.status == RegistrationStatus.CONFIRMED,
                                  Registration.erased_at.is_(None))
                           .order_by(Event.starts_at.desc(), Registration.id.desc())).all()
    people: dict[str, dict[str, str]] = {}
    for email, name, language in rows:
        people.setdefault(email.casefold(), {"email": email, "name": name, "language": language})
    return [people[key] for key in sorted(people)]
