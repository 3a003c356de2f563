"""Events: create, change and cancel; find one by id or slug, or lock its row for a seat change."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events import emails
from services.events.models import Event, EventKind, EventMode, EventStatus, Visibility
from services.events.operations.announcing import announce_if_new
from services.events.operations.schedule import cancel_pending_jobs, schedule_event_jobs
from services.events.operations.seats import active_registrations, fill_free_seats
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound

CHANGES_THAT_MATTER = ("starts_at", "ends_at", "timezone", "mode", "address", "online_url", "rrule", "exdates")
DEFAULT_FEEDBACK_QUESTIONS: list[dict[str, Any]] = [
    {"key": "overall", "type": "rating",
     "label": {"fi": "Kokonaisarvio tapahtumasta", "sv": "Helhetsbedömning av evenemanget",
               "en": "Overall rating of the event"}},
    {"key": "useful", "type": "rating",
     "label": {"fi": "Hyöty omassa työssäni", "sv": "Nytta i mitt arbete", "en": "Usefulness for my work"}},
    {"key": "comments", "type": "text",
     "label": {"fi": "Vapaa palaute ja toiveet", "sv": "Fri respons och önskemål", "en": "Comments and wishes"}},
]


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
    announce_if_new(session, event)
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
    announce_if_new(session, event)  # an unlisted event made public is announced now; others never again
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
    cancel_pending_jobs(session, event)
    session.flush()
    return event
