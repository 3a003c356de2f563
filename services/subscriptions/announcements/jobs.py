"""Scheduler handlers of the announcements part: the weekly digest (Monday 8:00 Helsinki time)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from services.subscriptions.announcements.operations import digest
from shared.models import Job
from shared.scheduler import job_handler


@job_handler(digest.DIGEST_JOB)
def send_weekly_digest(session: Session, job: Job) -> None:
    digest.send_digest(session, dt.date.fromisoformat(str(job.payload["week"])))
