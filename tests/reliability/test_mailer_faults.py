"""The mailer under faults, as separate processes on PostgreSQL + RabbitMQ with a real SMTP sink.

- kill -9 of the worker while 2000 messages go out: all arrive, duplicates ≤ worker threads;
- the SMTP relay down for 30 s mid-run: all arrive after it returns, nothing lost, no manual step.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from dramatiq import Broker
from sqlalchemy import func, select

from services.mailer.models import Delivery, DeliveryStatus, db
from shared.broker import send
from shared.contract import SEND_EMAIL
from tests.reliability.conftest import Processes, SmtpSinkProcess

MESSAGES = 2000
THREADS = 4


def enqueue_messages(broker: Broker, count: int, prefix: str) -> None:
    for index in range(count):
        payload = {
            "idempotency_key": f"fault-{prefix}:{index:05d}",
            "template": "mailer-test-message",
            "language": ("fi", "sv", "en")[index % 3],
            "recipient": {"email": f"r{index}@example.org", "name": f"Vastaanottaja {index}"},
            "context": {"sent_by": "Koordinaattori", "sent_at": "2026-11-22T07:00:00+00:00"},
            "origin": "tests",
        }
        send(broker, actor_name=SEND_EMAIL.actor, queue_name=SEND_EMAIL.queue, args=(payload,))


def wait_until(condition: Any, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def status_counts() -> dict[str, int]:
    with db.transaction() as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {status.value: count for status, count in rows}


def assert_all_delivered(sink: SmtpSinkProcess, count: int, max_duplicates: int) -> int:
    counts = sink.counts()
    missing = [index for index in range(count) if counts[f"r{index}@example.org"] == 0]
    duplicates = sum(times - 1 for times in counts.values() if times > 1)
    assert not missing, f"{len(missing)} messages never arrived, e.g. {missing[:5]}; rows: {status_counts()}"
    assert duplicates <= max_duplicates, f"{duplicates} duplicates"
    assert status_counts() == {DeliveryStatus.SENT.value: count}
    return duplicates


@pytest.mark.slow
def test_worker_killed_mid_run_loses_nothing(processes: Processes, smtp_sink_process: SmtpSinkProcess,
                                             broker: Broker) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    enqueue_messages(broker, MESSAGES, "kill")
    worker = processes.start_worker(processes=1, threads=THREADS)
    assert wait_until(lambda: len(smtp_sink_process.files()) >= MESSAGES // 4, timeout=60, step=0.02)
    worker.kill()  # SIGKILL to the whole process group, mid-run
    delivered_before_restart = len(smtp_sink_process.files())
    assert delivered_before_restart < MESSAGES, "the worker finished before it could be killed"
    killed_at = time.monotonic()
    worker.restart()
    assert wait_until(lambda: len(set(smtp_sink_process.counts())) >= MESSAGES, timeout=100, step=0.25), (
        f"only {len(smtp_sink_process.counts())} of {MESSAGES} recipients got their message; rows: {status_counts()}")
    assert wait_until(lambda: status_counts() == {"sent": MESSAGES}, timeout=20)
    duplicates = assert_all_delivered(smtp_sink_process, MESSAGES, max_duplicates=THREADS)
    print(f"kill -9 after {delivered_before_restart} of {MESSAGES} delivered; all delivered "  # noqa: T201 - figures
          f"{time.monotonic() - killed_at:.1f} s after the kill; {duplicates} duplicates")


@pytest.mark.slow
def test_relay_down_for_30_seconds_loses_nothing(processes: Processes, smtp_sink_process: SmtpSinkProcess,
                                                 broker: Broker) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    enqueue_messages(broker, MESSAGES, "down")
    processes.start_worker(processes=1, threads=THREADS)
    assert wait_until(lambda: len(smtp_sink_process.files()) >= MESSAGES // 4, timeout=60, step=0.02)
    smtp_sink_process.stop()
    stopped_at = time.monotonic()
    assert wait_until(lambda: status_counts().get("retrying", 0) > 0, timeout=10), status_counts()
    time.sleep(max(0.0, 30 - (time.monotonic() - stopped_at)))
    assert len(smtp_sink_process.counts()) < MESSAGES
    smtp_sink_process.start()
    returned_at = time.monotonic()
    assert wait_until(lambda: len(set(smtp_sink_process.counts())) >= MESSAGES, timeout=100, step=0.25), (
        f"only {len(smtp_sink_process.counts())} of {MESSAGES} recipients got their message; rows: {status_counts()}")
    assert wait_until(lambda: status_counts() == {"sent": MESSAGES}, timeout=20)
    # a sink stopped mid-conversation may have stored a message whose reply never arrived: that is
    # the only way to a duplicate here
    duplicates = assert_all_delivered(smtp_sink_process, MESSAGES, max_duplicates=THREADS)
    print(f"relay down {returned_at - stopped_at:.1f} s; all delivered {time.monotonic() - returned_at:.1f} s "  # noqa: T201
          f"after it returned; {duplicates} duplicates")
