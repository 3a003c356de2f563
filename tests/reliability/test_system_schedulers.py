"""Two scheduler processes at once over many due jobs of real kinds (event reminders): every job runs
exactly once, every registrant gets each reminder exactly once, nothing is left behind."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services.events.models import db as events_db
from shared.models import Job, JobStatus
from tests.reliability.conftest import Processes, SmtpSinkProcess
from tests.reliability.system_helpers import (
    addresses,
    create_event,
    register_in_process,
    wait_until,
    wait_until_settled,
)

EVENTS = 4
PER_EVENT = 8
OFFSETS = [2880, 120]  # two reminders per event


def test_two_schedulers_run_each_due_job_once(processes: Processes, smtp_sink_process: SmtpSinkProcess,
                                              apps: dict[str, Flask], client: Client,
                                              admin_headers: Callable[[str], dict[str, str]]) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    processes.start_worker(processes=1, threads=4)
    organizer = admin_headers("organizer")
    people: list[str] = []
    for number in range(EVENTS):
        event = create_event(client, organizer, f"Muistutuspäivä {number + 1}", reminder_minutes=OFFSETS)
        emails = addresses(f"muistutus{number}-", PER_EVENT)
        register_in_process(client, event["id"], emails, confirm_in=apps["events"])
        people += emails
    # "Confirm your address" and the confirmation first; then only reminders arrive.
    assert wait_until(lambda: len(smtp_sink_process.files()) >= 2 * len(people), 120), \
        f"{len(smtp_sink_process.files())} of {2 * len(people)} registration mails arrived"
    wait_until_settled()
    smtp_sink_process.clear()

    with events_db.engine.begin() as connection:
        made_due = connection.execute(
            sa.update(Job).where(Job.kind.like("%remind%"), Job.status == JobStatus.PENDING)
            .values(due_at=sa.func.now() - sa.text("interval '1 second'"))).rowcount
    assert made_due == EVENTS * len(OFFSETS), f"expected {EVENTS * len(OFFSETS)} reminder jobs, found {made_due}"

    processes.start_scheduler(interval=0.2)
    processes.start_scheduler(interval=0.2)
    expected = len(people) * len(OFFSETS)
    wait_until(lambda: len(smtp_sink_process.files()) >= expected, 180)
    assert wait_until(_reminders_done, 60), "the due reminder jobs did not finish"
    wait_until_settled()  # every message they caused is finished: anything doubled is here now

    counts = smtp_sink_process.counts()
    missing = [person for person in people if counts[person.lower()] < len(OFFSETS)]
    doubled = {person: counts[person.lower()] for person in people if counts[person.lower()] > len(OFFSETS)}
    with events_db.engine.connect() as connection:
        jobs = connection.execute(sa.select(Job.key, Job.status, Job.attempts, Job.claimed_by)
                                  .where(Job.kind.like("%remind%"), Job.due_at <= sa.func.now())).all()
    not_done = [(key, status) for key, status, _attempts, _by in jobs if status != JobStatus.DONE]
    claimed_twice = [(key, attempts) for key, _status, attempts, _by in jobs if attempts != 1]
    claimers = {by for *_rest, by in jobs}
    assert not missing, f"{len(missing)} registrants lack a reminder, e.g. {missing[:3]}"
    assert not doubled, f"reminders doubled: {doubled}"
    assert not not_done, f"jobs not done: {not_done}"
    assert not claimed_twice, f"jobs claimed more than once: {claimed_twice}"
    assert len(claimers) >= 1, claimers


def _reminders_done() -> bool:
    with events_db.engine.connect() as connection:
        left = connection.execute(sa.select(sa.func.count()).select_from(Job).where(
            Job.kind.like("%remind%"), Job.due_at <= sa.func.now(), Job.status != JobStatus.DONE)).scalar_one()
    return left == 0
