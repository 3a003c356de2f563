"""A gunicorn web worker killed with SIGKILL in the middle of registrations: the master starts a new
one, the client retries what got no answer, and in the end every person has exactly one registration
(none lost, none doubled, none half-written: each has its confirmation email) with no manual step."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from services.events.models import Registration
from services.events.models import db as events_db
from tests.reliability.conftest import Processes, SmtpSinkProcess, request_json
from tests.reliability.system_helpers import addresses, event_body, registration_body, wait_until

PEOPLE = 60
CLIENTS = 6
RETRIES = 8


def gunicorn_workers(master_pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{master_pid}/task").glob("*"):
        try:
            children += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def test_killed_web_worker_loses_and_doubles_no_registration(
        processes: Processes, smtp_sink_process: SmtpSinkProcess, apps: dict[str, Flask],
        admin_headers: Callable[[str], dict[str, str]]) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    web = processes.start_web("events", workers=2, env={"ELO_PROXY_HOPS": "1"})
    processes.start_worker(processes=1, threads=4)
    processes.start_scheduler(interval=0.5)
    status, event = request_json("POST", web.url + "/events/api/v1/events", event_body("Kestävyyspäivä"),
                                 headers=admin_headers("organizer"))
    assert status == 201, event
    url = f"{web.url}/events/api/v1/events/{event['id']}/registrations"

    people = addresses("kesto", PEOPLE)
    answers: dict[str, list[int]] = {}
    lock = threading.Lock()

    def register(person: str, number: int) -> None:
        tried = []
        for _attempt in range(RETRIES):
            # A distinct client address per person, so a rate limit per address cannot interfere.
            code, _body = request_json("POST", url, registration_body(person), timeout=15,
                                       headers={"X-Forwarded-For": f"10.9.{number // 200}.{number % 200 + 1}"})
            tried.append(code)
            if code and code < 500:
                break
            time.sleep(0.3)
        with lock:
            answers[person] = tried

    def client(chunk: list[tuple[int, str]]) -> None:
        for number, person in chunk:
            register(person, number)

    numbered = list(enumerate(people))
    threads = [threading.Thread(target=client, args=(numbered[n::CLIENTS],)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    killed = []
    for _round in range(2):
        wait_until(lambda: len(answers) >= PEOPLE // 3 * (len(killed) + 1), 60, interval=0.02)
        workers = gunicorn_workers(web.pid or 0)
        assert workers, "no gunicorn worker found"
        os.kill(workers[0], signal.SIGKILL)
        killed.append(workers[0])
    for thread in threads:
        thread.join(timeout=120)

    final = {person: tried[-1] for person, tried in answers.items()}
    retried = {person: tried for person, tried in answers.items() if len(tried) > 1}
    failed = {person: tried for person, tried in answers.items() if not 200 <= tried[-1] < 300}
    assert len(answers) == PEOPLE
    assert not failed, f"the client's retry did not end in a registration: {failed} (retried: {retried})"

    with events_db.engine.connect() as connection:
        rows = connection.execute(sa.select(Registration.email).where(Registration.event_id == event["id"])).all()
    stored = Counter(email.lower() for (email,) in rows)
    assert set(stored) == {person.lower() for person in people}, "lost registrations"
    assert max(stored.values()) == 1, f"doubled: {[e for e, n in stored.items() if n > 1]}"

    wait_until(lambda: len(smtp_sink_process.files()) >= PEOPLE, 120)
    wait_until(lambda: False, 2)
    mails = smtp_sink_process.counts()
    without = [person for person in people if mails[person.lower()] == 0]
    doubled_mail = {person: mails[person.lower()] for person in people if mails[person.lower()] > 1}
    assert not without, f"registered but never confirmed by email (half-written): {without}"
    assert not doubled_mail, f"confirmation emails doubled: {doubled_mail}"
    assert final, (killed, retried)
