"""Scheduler handlers of the newsletter part: a scheduled issue starts sending at its time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.subscriptions.newsletter.operations import sending
from shared.models import Job
from shared.scheduler import job_handler


@job_handler(sending.SEND_JOB)
def send_scheduled_issue(session: Session, job: Job) -> None:
    sending.run_scheduled(session, int(job.payload["issue_id"]))
