"""Due work as rows: run once, also with two schedulers; retried after a failure; a crash
(an expired lease) only means the job runs again."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from services.events.models import db
from shared import scheduler
from shared.db import utcnow
from shared.models import Job, JobStatus, ProcessedMessage

runs: Counter[str] = Counter()
runs_lock = threading.Lock()
failures_left = {"count": 0}


@scheduler.job_handler("tests.count")
def count_run(session, job):
    if failures_left["count"] > 0:
        failures_left["count"] -= 1
        raise RuntimeError("transient failure")
    session.add(ProcessedMessage(key=f"job:{job.key}"))  # the effect, in the job's own transaction
    with runs_lock:
        runs[job.key] += 1


@pytest.fixture(autouse=True)
def _reset():
    runs.clear()
    failures_left["count"] = 0


def add_jobs(count, due_at=None):
    due_at = due_at or utcnow() - dt.timedelta(seconds=1)
    with db.transaction() as session:
        for number in range(count):
            scheduler.schedule(session, kind="tests.count", key=f"job-{number}", due_at=due_at)


def statuses():
    with db.transaction() as session:
        return Counter(job.status for job in session.scalars(select(Job)))


def test_a_due_job_runs_once_and_a_future_one_waits(apps):
    add_jobs(1)
    with db.transaction() as session:
        scheduler.schedule(session, kind="tests.count", key="later", due_at=utcnow() + dt.timedelta(hours=1))
    assert scheduler.tick(db) == 1
    assert scheduler.tick(db) == 0
    assert runs == {"job-0": 1}
    assert statuses() == {JobStatus.DONE: 1, JobStatus.PENDING: 1}


def test_scheduling_the_same_key_twice_keeps_one_job(apps):
    add_jobs(1)
    add_jobs(1)
    assert sum(statuses().values()) == 1


def test_a_failed_job_is_retried_later(apps):
    failures_left["count"] = 1
    add_jobs(1)
    assert scheduler.tick(db) == 1
    assert runs == {}
    assert statuses() == {JobStatus.PENDING: 1}
    assert scheduler.tick(db, now=utcnow() + dt.timedelta(minutes=5)) == 1
    assert runs == {"job-0": 1}


def test_a_job_whose_scheduler_died_runs_after_its_lease(apps):
    add_jobs(1)
    claimed = scheduler.claim_due(db, "dead-scheduler")
    assert claimed
    assert scheduler.tick(db, "live-scheduler") == 0, "leased to the dead one"
    later = utcnow() + scheduler.LEASE + dt.timedelta(seconds=1)
    assert scheduler.tick(db, "live-scheduler", now=later) == 1
    assert runs == {"job-0": 1}


def test_two_schedulers_run_each_of_200_jobs_exactly_once(apps, backend):
    add_jobs(200)
    start = threading.Barrier(2)

    def run(name):
        start.wait()
        while scheduler.tick(db, name):
            pass

    threads = [threading.Thread(target=run, args=(f"scheduler-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(runs) == 200
    assert set(runs.values()) == {1}
    assert statuses() == {JobStatus.DONE: 200}
