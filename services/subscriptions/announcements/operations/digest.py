"""The weekly digest: on Monday at 8:00 Helsinki time, one mail to each subscriber who chose `weekly`,
listing the events announced in the week before. A week without announcements has no job and no mail.

Each announcement books the job of its week (one job per week, by key); the job makes one mailing per
week (unique), sent the same durable way as an announcement.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.announcements.models import AnnouncementMailing, MailingKind
from services.subscriptions.announcements.operations import sending
from services.subscriptions.announcements.operations.content import digest_due, digest_week, week_announcements
from shared import scheduler

DIGEST_JOB = "announcements.weekly_digest"


def book(session: Session, announced_at: dt.datetime) -> None:
    """Make sure the digest of the announcement's week is scheduled (once per week)."""
    week = digest_week(announced_at)
    scheduler.schedule(session, kind=DIGEST_JOB, key=f"announcement-digest:{week.isoformat()}",
                       due_at=digest_due(week), payload={"week": week.isoformat()})


def send_digest(session: Session, week: dt.date) -> AnnouncementMailing | None:
    """Start the digest of `week`; None when it was started already or the week has no announcements."""
    if session.scalar(select(AnnouncementMailing.id).where(AnnouncementMailing.week == week)) is not None:
        return None
    if not week_announcements(session, week):
        return None
    mailing = AnnouncementMailing(kind=MailingKind.DIGEST, week=week)
    session.add(mailing)
    session.flush()
    sending.start(session, mailing)
    return mailing
