"""Scheduler handlers of the events service: reminders, feedback requests, the end of a seat hold and
an organiser's cancellation becoming final (its email waits until it can no longer be undone).

Each is a job row with `due_at` (see operations.schedule.schedule_event_jobs), claimed with row locks
by a scheduler tick, so two schedulers never run one twice; the emails also carry stable
idempotency keys (`event-reminder:<registration id>:2d`, `feedback-request:<registration id>`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.events.operations import feedback, registrations, schedule, seats
from shared.db import utcnow
from shared.models import Job
from shared.scheduler import job_handler


@job_handler(schedule.REMIND_JOB)
def remind(session: Session, job: Job) -> None:
    schedule.send_reminders(session, int(job.payload["event_id"]), int(job.payload["minutes"]),
                            job.payload.get("occurrence"))


@job_handler(schedule.FEEDBACK_JOB)
def request_feedback(session: Session, job: Job) -> None:
    """After the event, with the organiser's default: the people marked arrived (everyone with a seat when
    nobody was marked arrived); whoever the organiser already asked from the workspace is not asked again."""
    feedback.send_feedback_requests(session, int(job.payload["event_id"]))


@job_handler(seats.HOLD_JOB)
def end_hold(session: Session, job: Job) -> None:
    """A seat held unconfirmed until `due_at` goes to the next person (unless confirmed meanwhile).
    The clock is the job's due time or now, whichever is later, so a late run ends the hold too."""
    registrations.end_hold(session, int(job.payload["registration_id"]), max(utcnow(), job.due_at))


@job_handler(registrations.FINAL_CANCEL_JOB)
def finish_cancellation(session: Session, job: Job) -> None:
    """Mail the person and free the seat, unless the organiser undid the cancellation meanwhile."""
    registrations.finish_cancellation(session, int(job.payload["registration_id"]))
