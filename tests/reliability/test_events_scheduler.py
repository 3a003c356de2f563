"""Reminders and feedback requests go out once each at their times, with TWO scheduler processes
running (PostgreSQL + RabbitMQ, real worker, mailer and SMTP server)."""

from __future__ import annotations

import collections
import datetime as dt

from sqlalchemy import select, update

from services.events.models import db
from shared.db import utcnow
from shared.models import Job, JobStatus
from tests.events.factories import make_event, register
from tests.reliability.system_helpers import wait_until, wait_until_settled

PEOPLE = ("maija@example.fi", "oskari@example.fi", "sanna@example.fi")


def test_two_schedulers_send_each_reminder_and_feedback_request_once(processes, smtp_sink_process, apps):
    app = apps["events"]
    soon = utcnow() + dt.timedelta(days=2, seconds=6)  # the 2-day reminder is due in about 6 s
    event = make_event(app, starts_at=soon.isoformat(), ends_at=(soon + dt.timedelta(hours=2)).isoformat(),
                       online_url="https://meet.example.fi/r")
    for n, address in enumerate(PEOPLE):
        register(app, event.id, address, participation="remote" if n == 0 else "onsite")
    with db.transaction() as session:  # pull the feedback request forward too, as if the event had ended
        session.execute(update(Job).where(Job.kind == "events.feedback")
                        .values(due_at=utcnow() + dt.timedelta(seconds=8)))
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    processes.start_web("mailer", workers=1)
    processes.start_worker(processes=1, threads=4)
    processes.start_scheduler(interval=0.2)
    processes.start_scheduler(interval=0.2)
    per_person = 4  # "confirm your address", confirmation, 2-day reminder, feedback request
    expected = len(PEOPLE) * per_person
    smtp_sink_process.wait_for(expected, timeout=90)
    assert wait_until(lambda: _both_jobs_done(event.id), timeout=30)  # the schedulers have nothing more to do
    wait_until_settled()  # and every message they caused is finished: anything doubled is here now
    subjects = collections.Counter((m["To"], str(m["Subject"]).split(":")[0]) for m in smtp_sink_process.messages())
    assert len(smtp_sink_process.messages()) == expected, subjects
    for address in PEOPLE:
        assert smtp_sink_process.counts()[address] == per_person
    with db.transaction() as session:
        jobs = {job.key: job.status for job in session.scalars(select(Job))}
    assert jobs[f"events.remind:{event.id}:2880"] is JobStatus.DONE
    assert jobs[f"events.feedback:{event.id}"] is JobStatus.DONE
    assert jobs[f"events.remind:{event.id}:120"] is JobStatus.PENDING
    remote = smtp_sink_process.to(PEOPLE[0])
    reminder = next(m for m in remote if "Muistutus" in str(m["Subject"]))
    assert "meet.example.fi/r" in reminder.get_body(("plain",)).get_content()


def _both_jobs_done(event_id):
    with db.transaction() as session:
        statuses = {job.key: job.status for job in session.scalars(select(Job))}
    return (statuses.get(f"events.remind:{event_id}:2880") is JobStatus.DONE
            and statuses.get(f"events.feedback:{event_id}") is JobStatus.DONE)
