"""An event became public: store its announcement once (unique by event) and start its mailing.

A message delivered again (a broker redelivery, the outbox sweeper) finds the announcement stored and
does nothing, so nobody gets an event twice. Each announcement also books the week's digest job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.announcements.models import (
    Announcement,
    AnnouncementMailing,
    MailingKind,
)
from services.subscriptions.announcements.operations import digest, sending


def receive(session: Session, event: dict[str, Any]) -> Announcement | None:
    """Store the event (a loaded `EventAnnounced`) and start sending; None when it was announced already."""
    if session.scalar(select(Announcement.id).where(Announcement.event_id == event["event_id"])) is not None:
        return None
    announcement = Announcement(event_id=event["event_id"], slug=event["slug"], title=event["title"],
                                url=event["url"], starts_at=event["starts_at"], ends_at=event["ends_at"],
                                mode=event["mode"], place=event["place"], kind=event["kind"], themes=event["themes"])
    session.add(announcement)
    session.flush()
    mailing = AnnouncementMailing(kind=MailingKind.EACH, announcement_id=announcement.id)
    session.add(mailing)
    session.flush()
    sending.start(session, mailing)
    digest.book(session, announcement.announced_at)
    return announcement
