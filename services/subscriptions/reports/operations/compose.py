"""The annual report's figures: composed from each service's own answer, or read from a finalised year.

- the newsletter's figures: this service's own (`newsletter.operations.year_figures`, a function call);
- the events' figures: the events service's answer (`EventsClient().year_figures`, HTTP in production);
- the surveys' results: the surveys part of this service (`surveys.operations.results.results_for_year`).

Nothing reads another service's database. `themes` puts the six strategy themes first: for each, the events,
registrations and attendance the events service counted under it and the articles published under it.
A finalised year (`AnnualReport`) is the composed figures stored as they were; it never changes afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.operations.year_figures import newsletter_year
from services.subscriptions.reports.models import AnnualReport
from services.subscriptions.surveys.operations.results import results_for_year
from shared.clients import ServiceCallFailed
from shared.clients.events import EventsClient
from shared.db import utcnow
from shared.errors import Conflict, NotFound
from shared.formatting import HELSINKI
from shared.labels import THEMES

FIRST_YEAR = 2000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    year: int
    figures: dict[str, Any]
    finalised_at: dt.datetime | None = None
    finalised_by: str | None = None

    @property
    def finalised(self) -> bool:
        return self.finalised_at is not None

    @property
    def events_available(self) -> bool:
        return self.figures.get("events") is not None

    def as_dict(self) -> dict[str, Any]:
        return {**self.figures, "finalised": self.finalised,
                "finalised_at": self.finalised_at.isoformat() if self.finalised_at else None,
                "finalised_by": self.finalised_by}


def current_year() -> int:
    return utcnow().astimezone(HELSINKI).year


def check_year(year: int) -> None:
    """404 for a year the network cannot have figures for (before 2000, or after next year's planned events)."""
    if not FIRST_YEAR <= year <= current_year() + 1:
        raise NotFound(f"There is no annual report for {year}.")


def compose(session: Session, year: int) -> dict[str, Any]:
    """The year's figures now, from every source; `events` is None when the events service did not answer."""
    newsletter = newsletter_year(session, year)
    events = events_year(year)
    return {
        "year": year,
        "composed_at": utcnow().isoformat(),
        "themes": theme_rows(newsletter, events),
        "events": events,
        "newsletter": newsletter,
        "surveys": results_for_year(session, year),
    }


def events_year(year: int) -> dict[str, Any] | None:
    try:
        return EventsClient().year_figures(year)
    except ServiceCallFailed:
        log.warning("annual report %s: the events service did not answer", year, exc_info=True)
        return None


def theme_rows(newsletter: dict[str, Any], events: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per strategy theme: events, registrations, attended (None when events did not answer), articles."""
    published = newsletter["articles"]["published_by_theme"]
    by_theme = (events or {}).get("themes") or {}
    rows = []
    for theme in THEMES:
        counted = by_theme.get(theme) or {}
        rows.append({"theme": theme,
                     "events": counted.get("events", 0) if events is not None else None,
                     "registrations": counted.get("registrations", 0) if events is not None else None,
                     "attended": counted.get("attended", 0) if events is not None else None,
                     "published_articles": published.get(theme, 0)})
    return rows


def stored(session: Session, year: int) -> AnnualReport | None:
    return session.scalar(select(AnnualReport).where(AnnualReport.year == year))


def report(session: Session, year: int) -> Report:
    """The finalised year as it was stored, or the figures composed now."""
    check_year(year)
    row = stored(session, year)
    if row is not None:
        return Report(year, dict(row.figures), row.finalised_at, row.finalised_by)
    return Report(year, compose(session, year))


def finalise(session: Session, year: int, by: str) -> Report:
    """Store the year's figures as they are now. 409 when already finalised, the year is not over, or the
    events service did not answer (a report without its events would be stored incomplete for good)."""
    check_year(year)
    if year >= current_year():
        raise Conflict(f"{year} is not over yet: a year can be finalised once it has ended.")
    if session.scalar(select(AnnualReport).where(AnnualReport.year == year).with_for_update()) is not None:
        raise Conflict(f"The annual report for {year} is already finalised.")
    figures = compose(session, year)
    if figures["events"] is None:
        raise Conflict("The events service did not answer, so the report is not complete. Nothing was stored: "
                       "try again in a moment.")
    row = AnnualReport(year=year, figures=figures, finalised_at=utcnow(), finalised_by=by)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:  # finalised at the same moment by another request
        raise Conflict(f"The annual report for {year} is already finalised.") from error
    return Report(year, figures, row.finalised_at, row.finalised_by)
