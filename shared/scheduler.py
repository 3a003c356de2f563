"""Time-based work as rows with `due_at`, claimed with row locks by a scheduler tick.

A job's effects and its `done` mark are written in one transaction, so a job runs once even
when two schedulers tick at the same moment (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite:
`BEGIN IMMEDIATE` lets one writer claim at a time) and a crash only means it runs again
after its lease ends. Handlers are registered per kind with `@job_handler("events.remind")`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shared.db import Database, is_sqlite, utcnow
from shared.models import Job, JobStatus

log = logging.getLogger(__name__)

Handler = Callable[[Session, Job], None]
_handlers: dict[str, Handler] = {}
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _handlers[kind] = handler
        return handler

    return register


def schedule(session: Session, *, kind: str, key: str, due_at: dt.datetime,
             payload: dict[str, Any] | None = None) -> Job:
    """Add a job once per `key`; scheduling the same key again moves its time if it has not run."""
    job = session.scalar(select(Job).where(Job.key == key))
    if job is None:
        job = Job(kind=kind, key=key, due_at=due_at, payload=payload or {})
        session.add(job)
    elif job.status in (JobStatus.PENDING, JobStatus.CANCELLED):
        job.due_at, job.payload, job.status = due_at, payload or {}, JobStatus.PENDING
    return job


def cancel(session: Session, key: str) -> None:
    job = session.scalar(select(Job).where(Job.key == key, Job.status == JobStatus.PENDING))
    if job is not None:
        job.status = JobStatus.CANCELLED


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim_due(db: Database, claimer: str, *, now: dt.datetime | None = None, limit: int = 50) -> list[int]:
    """Mark up to `limit` due jobs as running for `claimer` (also jobs whose lease ran out)."""
    now = now or utcnow()
    with db.transaction() as session:
        query = (
            select(Job)
            .where(or_(Job.status == JobStatus.PENDING, Job.status == JobStatus.RUNNING),
                   Job.due_at <= now, or_(Job.lease_until.is_(None), Job.lease_until < now))
            .order_by(Job.due_at, Job.id).limit(limit)
        )
        if not is_sqlite(db.url):
            query = query.with_for_update(skip_locked=True)
        jobs = list(session.scalars(query))
        for job in jobs:
            job.status, job.claimed_by, job.lease_until = JobStatus.RUNNING, claimer, now + LEASE
            job.attempts += 1
        return [job.id for job in jobs]


def run_job(db: Database, job_id: int, claimer: str) -> bool:
    """Run one claimed job; its effects and its done mark commit together. False if it failed."""
    try:
        with db.transaction() as session:
            job = session.get(Job, job_id, with_for_update=not is_sqlite(db.url))
            if job is None or job.status != JobStatus.RUNNING or job.claimed_by != claimer:
                return True
            handler = _handlers.get(job.kind)
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            handler(session, job)
            job.status, job.finished_at, job.lease_until = JobStatus.DONE, utcnow(), None
    except Exception as error:
        log.exception("job %s failed", job_id)
        _record_failure(db, job_id, error)
        return False
    return True


def _record_failure(db: Database, job_id: int, error: Exception) -> None:
    with db.transaction() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        job.last_error = f"{type(error).__name__}: {error}"[:1000]
        job.lease_until = None
        if job.attempts >= MAX_ATTEMPTS:
            job.status = JobStatus.FAILED
        else:
            job.status = JobStatus.PENDING
            job.due_at = utcnow() + dt.timedelta(seconds=30 * 2 ** job.attempts)


def tick(db: Database, claimer: str | None = None, *, now: dt.datetime | None = None) -> int:
    """Claim and run what is due now; returns how many jobs ran."""
    claimer = claimer or worker_id()
    ran = 0
    while True:
        ids = claim_due(db, claimer, now=now)
        for job_id in ids:
            run_job(db, job_id, claimer)
            ran += 1
        if len(ids) < 50:
            return ran


class SchedulerLoop:
    """Ticks every service's jobs and outbox sweep until stopped (the `elo scheduler` process,
    or a thread in `elo up`)."""

    def __init__(self, steps: Iterable[Callable[[], object]], interval: float = 1.0) -> None:
        self.steps = list(steps)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for step in self.steps:
                try:
                    step()
                except Exception:
                    log.exception("scheduler step failed")
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
