"""The subscribe API answers only after the request is committed: a gunicorn worker killed (SIGKILL) right
after answering loses nothing. Each subscriber still gets exactly one confirmation email and one consent
record, also when the worker died before the request's message reached the broker (the outbox sweep sends
it) — and nothing more arrives afterwards."""

from __future__ import annotations

import time
from collections import Counter

import sqlalchemy as sa
from flask import Flask

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import ConsentAction, ConsentEvent, Subscriber, SubscriberStatus
from tests.reliability.conftest import Processes, SmtpSinkProcess, request_json
from tests.reliability.system_helpers import wait_until, wait_until_settled

CONF = "python:tests.reliability.kill_after_answer_conf"
# sent: the message went to the broker before the answer; unsent: the worker died before sending it.
PEOPLE = ["sent-aino@example.fi", "unsent-eino@example.fi", "sent-helmi@example.fi", "unsent-saara@example.fi"]


def test_a_worker_killed_right_after_answering_loses_no_subscription(
        processes: Processes, smtp_sink_process: SmtpSinkProcess, apps: dict[str, Flask]) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    web = processes.start_web("subscriptions", workers=1, extra_args=("--config", CONF))
    processes.start_worker(processes=1, threads=4)
    processes.start_scheduler(interval=0.5)
    assert web.url
    url = web.url + "/newsletter/api/v1/subscriptions"

    answers = []
    for person in PEOPLE:
        body: dict[str, object] = {"email": person, "name": "Testi Henkilö", "language": "fi",
                                   "topics": ["newsletter"]}
        status, answer = _answered(url, body)
        answers.append((status, answer))
    assert answers == [(202, answers[0][1])] * len(PEOPLE), answers  # the same answer for everyone

    # The message of an `unsent` request goes out with the scheduler's sweep (after its grace of seconds).
    assert wait_until(lambda: all(smtp_sink_process.counts()[p] for p in PEOPLE), 90), smtp_sink_process.counts()
    wait_until_settled(60)
    mails = smtp_sink_process.counts()
    assert {person: mails[person] for person in PEOPLE} == dict.fromkeys(PEOPLE, 1)
    with db.engine.connect() as connection:
        consents = Counter(connection.execute(
            sa.select(Subscriber.email).join(ConsentEvent, ConsentEvent.subscriber_id == Subscriber.id)
            .where(ConsentEvent.action == ConsentAction.SUBSCRIBE)).scalars())
        statuses = dict(connection.execute(sa.select(Subscriber.email, Subscriber.status)).all())
    assert consents == Counter(PEOPLE)
    assert statuses == dict.fromkeys(PEOPLE, SubscriberStatus.PENDING)


def _answered(url: str, body: dict[str, object]) -> tuple[int, object]:
    """The answer (the worker that gave it dies, and the master starts a new one). A request that got no
    answer is tried again, as a client does; a request recorded twice still subscribes once."""
    deadline = time.monotonic() + 60
    while True:
        status, answer = request_json("POST", url, body, timeout=15)
        if status or time.monotonic() > deadline:
            return status, answer
        time.sleep(0.2)
