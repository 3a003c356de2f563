"""RabbitMQ restarted in the middle of sending (`rabbitmqctl stop_app` … `start_app`), while people
keep registering: every registration made before, during and after the outage gets its confirmation
email, duplicates are counted and bounded, and nobody had to do anything by hand.

This stops the whole RabbitMQ node for a few seconds, so it skips unless rabbitmqctl can do that here.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import rabbitmq_guard
from tests.reliability.conftest import Processes, SmtpSinkProcess, request_json
from tests.reliability.system_helpers import addresses, event_body, registration_body, wait_until

BEFORE = 40
DURING = 15
AFTER = 10
OUTAGE_SECONDS = 5
WORKER_THREADS = 4


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def restartable_rabbitmq() -> None:
    if shutil.which("rabbitmqctl") is None or rabbitmqctl("-q", "status").returncode != 0:
        pytest.skip("rabbitmqctl cannot control the RabbitMQ node here")


@pytest.mark.slow
def test_broker_restart_mid_send_loses_nothing(restartable_rabbitmq: None, processes: Processes,
                                               smtp_sink_process: SmtpSinkProcess, apps: dict[str, Flask],
                                               admin_headers: Callable[[str], dict[str, str]]) -> None:
    processes.env.update({"ELO_SMTP_URL": smtp_sink_process.url, "ELO_MAIL_RATE": "10",
                          "ELO_OUTBOX_RESEND_AFTER": "15", "ELO_PROXY_HOPS": "1"})
    web = processes.start_web("events", workers=2)
    processes.start_worker(processes=1, threads=WORKER_THREADS)
    processes.start_scheduler(interval=0.5)
    status, event = request_json("POST", web.url + "/events/api/v1/events", event_body("Katkospäivä"),
                                 headers=admin_headers("organizer"))
    assert status == 201, event
    url = f"{web.url}/events/api/v1/events/{event['id']}/registrations"
    people = addresses("katko", BEFORE + DURING + AFTER)
    refused: dict[str, int] = {}

    def register(batch: list[str], offset: int) -> None:
        for number, person in enumerate(batch, start=offset):
            code, _ = request_json("POST", url, registration_body(person),
                                   headers={"X-Forwarded-For": f"10.8.{number // 200}.{number % 200 + 1}"})
            if code != 201:
                refused[person] = code

    register(people[:BEFORE], 0)
    assert wait_until(lambda: len(smtp_sink_process.files()) >= 5, 60), "sending never started"
    with rabbitmq_guard.alone():  # no other test worker uses RabbitMQ while it is down
        stopped = rabbitmqctl("stop_app")
        assert stopped.returncode == 0, stopped.stderr
        try:
            outage_started = time.monotonic()
            register(people[BEFORE:BEFORE + DURING], BEFORE)  # the web relay cannot reach the broker now
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
        finally:
            started = rabbitmqctl("start_app")
        assert started.returncode == 0, started.stderr
    delivered_at_restart = len(smtp_sink_process.files())
    register(people[BEFORE + DURING:], BEFORE + DURING)
    assert not refused, f"registrations refused while the broker was away: {refused}"

    wait_until(lambda: all(smtp_sink_process.counts()[p.lower()] for p in people), 180, interval=1.0)
    wait_until(lambda: False, 3)
    counts = smtp_sink_process.counts()
    missing = [person for person in people if counts[person.lower()] == 0]
    duplicates = sum(max(0, counts[person.lower()] - 1) for person in people)
    assert not missing, (f"{len(missing)} of {len(people)} never got their confirmation "
                         f"({delivered_at_restart} had arrived when the broker came back): {missing[:5]}")
    # A message being sent when the broker went away may be delivered again (at-least-once), at most
    # one per worker thread; the mailer's idempotency keys should keep it at zero.
    assert duplicates <= WORKER_THREADS, f"{duplicates} duplicate confirmations: {counts.most_common(5)}"
