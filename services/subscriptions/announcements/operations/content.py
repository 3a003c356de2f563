"""What a mailing says in one language: one event, or the week's events for a digest; and the digest weeks.

A digest goes out on Monday at 8:00 Helsinki time and lists the events announced in the seven days before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.announcements.emails import event_context
from services.subscriptions.announcements.models import Announcement, AnnouncementMailing, MailingKind
from shared.formatting import HELSINKI

DIGEST_WEEKDAY = 0  # Monday
DIGEST_TIME = dt.time(8, 0)


def digest_due(week: dt.date) -> dt.datetime:
    """When the digest of `week` (a Monday) goes out, in UTC."""
    return dt.datetime.combine(week, DIGEST_TIME, tzinfo=HELSINKI).astimezone(dt.UTC)


def digest_week(moment: dt.datetime) -> dt.date:
    """The digest an announcement made at `moment` goes in: the first Monday 8:00 Helsinki after it."""
    local = moment.astimezone(HELSINKI)
    monday = local.date() + dt.timedelta(days=(DIGEST_WEEKDAY - local.weekday()) % 7)
    if digest_due(monday) <= moment:
        monday += dt.timedelta(days=7)
    return monday


def week_announcements(session: Session, week: dt.date) -> list[Announcement]:
    """The announcements of the seven days before the digest of `week`, soonest event first."""
    due = digest_due(week)
    since = digest_due(week - dt.timedelta(days=7))
    query = (select(Announcement).where(Announcement.announced_at >= since, Announcement.announced_at < due)
             .order_by(Announcement.starts_at, Announcement.id))
    return list(session.scalars(query))


def mailing_context(session: Session, mailing: AnnouncementMailing, language: str, primary: str) -> dict[str, Any]:
    """The template context of the mailing in `language` (texts fall back to the primary language)."""
    if mailing.kind is MailingKind.EACH and mailing.announcement is not None:
        return event_context(mailing.announcement, language, primary)
    if mailing.week is None:
        raise ValueError(f"announcement mailing {mailing.id} has neither an event nor a week")
    events = [event_context(announcement, language, primary)
              for announcement in week_announcements(session, mailing.week)]
    return {"events": events, "week": mailing.week.isoformat()}
