"""Announcing an event to the subscribers of `events`: once, when it first becomes public.

The message (`shared.contract.EVENT_ANNOUNCED`) is written with the outbox in the transaction that makes
the event public, and `Event.announced_at` marks it sent, so an edit, a second publish or a retry never
announces again. Changes and cancellations go to the registered people only (`emails`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.events.links import event_url
from services.events.models import Event, EventMode, EventStatus, Visibility
from shared.contract import EVENT_ANNOUNCED, EventAnnounced, dump_payload
from shared.db import utcnow
from shared.outbox import enqueue
from shared.settings import LANGUAGES


def is_announceable(event: Event) -> bool:
    """Public, not cancelled, not over (a recurring event may still run) and not announced yet."""
    return (event.announced_at is None and event.visibility is Visibility.PUBLIC
            and event.status is EventStatus.SCHEDULED and (event.rrule is not None or event.ends_at > utcnow()))


def announce_if_new(session: Session, event: Event) -> bool:
    """Tell the subscriptions service of a newly public event; False when there is nothing to announce."""
    if not is_announceable(event):
        return False
    event.announced_at = utcnow()
    enqueue(session, EVENT_ANNOUNCED, dump_payload(EventAnnounced, announcement(event)))
    return True


def announcement(event: Event) -> dict[str, Any]:
    """The EVENT_ANNOUNCED payload: texts and page links in every language (a missing text falls back)."""
    page = event_url(event.slug)
    return {
        "event_id": event.id, "slug": event.slug,
        "title": {language: event.text("title", language) for language in LANGUAGES},
        "url": {language: f"{page}?lang={language}" for language in LANGUAGES},
        "starts_at": event.starts_at, "ends_at": event.ends_at, "mode": event.mode.value,
        "place": event.address if event.mode is not EventMode.ONLINE else "",
        "kind": event.kind.value, "themes": [str(theme) for theme in event.themes or []],
    }
