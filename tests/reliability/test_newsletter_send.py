"""A newsletter issue to thousands of subscribers through the real mailer, worker and scheduler processes
(PostgreSQL + RabbitMQ) into an SMTP server in another process.

Every eligible subscriber gets exactly one message, in their language, with their own working
unsubscribe link; nobody else gets one. Killing the worker in the middle of the send and starting it
again still gives one message per subscriber (duplicates are bounded by the worker's threads and
reported). A scheduled issue goes out at its time with the scheduler process, not before.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.newsletter.operations import sending
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
from services.subscriptions.subscribers.operations.links import UNSUBSCRIBE_PURPOSE, subscriber_from_token
from tests.reliability.conftest import Processes, SmtpSinkProcess
from tests.reliability.system_helpers import wait_until_settled
from tests.subscriptions.conftest import subscription_outbox
from tests.subscriptions.newsletter_factories import make_article, make_issue, make_subscribers

API = "/newsletter/api/v1/issues"
WORKER_THREADS = 4
UNSUBSCRIBE_LINK = re.compile(r"https?://[^\s\"<>]+/newsletter/unsubscribe/([A-Za-z0-9._-]+)")


@pytest.fixture
def editor(admin_headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return admin_headers("editor")


def _population() -> dict[str, list[str]]:
    """2,000 confirmed Finnish readers and 200 Swedish ones (their own version), plus people who must get nothing."""
    return {
        "fi": make_subscribers(2000, language="fi"),
        "sv": make_subscribers(200, language="sv"),
        "nobody": [*make_subscribers(100, status="pending"), *make_subscribers(100, status="unsubscribed"),
                   *make_subscribers(50, status="bounced")],
    }


def _bilingual_issue(client: Client, editor: dict[str, str]) -> dict[str, Any]:
    return make_issue(client, editor, title="ELO-uutiskirje 3/2026", versions=[{
        "language": "sv", "title": "ELO-nyhetsbrev 3/2026", "introduction": "Hej, här är höstens nyheter.",
        "article_ids": [make_article(language="sv", title="Vägledning på distans i Jakobstad")]}])


def _wait_until_settled(sink: SmtpSinkProcess, expected: int, timeout: float) -> int:
    """Wait for at least `expected` messages, then until nothing is left to happen; returns the count."""
    sink.wait_for(expected, timeout=timeout)
    wait_until_settled()
    return len(sink.files())


def _check_delivery(apps: dict[str, Flask], client: Client, sink: SmtpSinkProcess,
                    population: dict[str, list[str]]) -> collections.Counter[str]:
    """Each eligible subscriber got at least one message in their language, with their own link."""
    messages = sink.messages()
    counts = collections.Counter(address for m in messages for address in sink.recipients(m))
    eligible = {*population["fi"], *population["sv"]}
    assert set(counts) == eligible, f"missing {len(eligible - set(counts))}, unexpected {len(set(counts) - eligible)}"
    subjects = {"fi": "ELO-uutiskirje 3/2026", "sv": "ELO-nyhetsbrev 3/2026"}
    with apps["subscriptions"].app_context(), db.transaction() as session:
        for message in messages:
            [address] = sink.recipients(message)
            language = "sv" if address in population["sv"] else "fi"
            assert message["Subject"] == subjects[language]
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            tokens = set(UNSUBSCRIBE_LINK.findall(_text(message)))
            assert len(tokens) == 1, address
            assert subscriber_from_token(session, UNSUBSCRIBE_PURPOSE, tokens.pop()).email == address
    _one_click_works(client, sink, population["sv"][0])
    return counts


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _one_click_works(client: Client, sink: SmtpSinkProcess, address: str) -> None:
    link = UNSUBSCRIBE_LINK.search(_text(sink.to(address)[0]))
    assert link is not None
    response = client.post(f"/newsletter/unsubscribe/{link.group(1)}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with db.transaction() as session:
        subscriber = session.query(Subscriber).filter_by(email=address).one()
        assert subscriber.status == SubscriberStatus.UNSUBSCRIBED


def _send_now(apps: dict[str, Flask], issue_id: int) -> None:
    with apps["subscriptions"].app_context(), db.transaction() as session:
        sending.send(session, issue_id, None)


def test_issue_reaches_every_eligible_subscriber_exactly_once(
        processes: Processes, smtp_sink_process: SmtpSinkProcess, apps: dict[str, Flask], client: Client,
        editor: dict[str, str]) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    population = _population()
    issue = _bilingual_issue(client, editor)
    processes.start_web("mailer", workers=1)  # its campaign counts pace the expansion (the in-flight window)
    processes.start_worker(processes=1, threads=WORKER_THREADS)
    started = time.monotonic()
    _send_now(apps, issue["id"])
    expected = len(population["fi"]) + len(population["sv"])
    arrived = _wait_until_settled(smtp_sink_process, expected, timeout=150)
    elapsed = time.monotonic() - started
    print(f"\nnewsletter: {arrived} messages for {expected} eligible subscribers in {elapsed:.1f} s")  # noqa: T201
    counts = _check_delivery(apps, client, smtp_sink_process, population)
    assert max(counts.values()) == 1
    assert arrived == expected
    deadline = time.monotonic() + 30  # "sent" follows once the mailer's counts show every recipient handled
    while (state := client.get(f"{API}/{issue['id']}", headers=editor).get_json())["status"] != "sent":
        assert time.monotonic() < deadline, state
        time.sleep(0.5)
    assert state["progress"] == {"total": expected, "sent": expected, "failed": 0, "suppressed": 0}


def test_killing_the_worker_mid_send_still_gives_one_message_each(
        processes: Processes, smtp_sink_process: SmtpSinkProcess, apps: dict[str, Flask], client: Client,
        editor: dict[str, str]) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    population = _population()
    issue = _bilingual_issue(client, editor)
    processes.start_web("mailer", workers=1)
    worker = processes.start_worker(processes=1, threads=WORKER_THREADS)
    # As in production: the scheduler's sweeper re-sends outbox rows a dead worker committed but never relayed.
    processes.start_scheduler(interval=0.5)
    _send_now(apps, issue["id"])
    expected = len(population["fi"]) + len(population["sv"])
    smtp_sink_process.wait_for(expected // 4, timeout=60)
    worker.kill()
    at_kill = len(smtp_sink_process.files())
    assert 0 < at_kill < expected, f"the kill came too late to test anything ({at_kill} of {expected} sent)"
    worker.restart()
    arrived = _wait_until_settled(smtp_sink_process, expected, timeout=150)
    counts = _check_delivery(apps, client, smtp_sink_process, population)
    duplicates = sum(counts.values()) - len(counts)
    # The mailer records "sent" right after the relay accepts each message: only the message a thread
    # had just handed over when the worker died may go again. Nothing else may repeat.
    print(f"\nnewsletter with a worker kill after {at_kill} messages: {arrived} messages, "  # noqa: T201
          f"{len(counts)} subscribers, {duplicates} duplicates (bound: {WORKER_THREADS} worker threads)")
    assert duplicates <= WORKER_THREADS
    with db.transaction() as session:
        assert session.query(sending.IssueDelivery).count() == expected
    handed = [r["idempotency_key"] for batch in subscription_outbox("mailer.send_batch") for r in batch["recipients"]]
    assert len(handed) == len(set(handed)) == expected  # this service handed each subscriber over once


def test_scheduled_issue_goes_out_at_its_time_not_before(
        processes: Processes, smtp_sink_process: SmtpSinkProcess, apps: dict[str, Flask], client: Client,
        editor: dict[str, str]) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    readers = make_subscribers(20)
    issue = make_issue(client, editor)
    processes.start_worker(processes=1, threads=WORKER_THREADS)
    processes.start_scheduler(interval=0.5)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    response = client.post(f"{API}/{issue['id']}/send", json={"at": at.isoformat(), "confirm": True}, headers=editor)
    assert response.status_code == 202
    assert response.get_json()["status"] == "scheduled"
    while dt.datetime.now(dt.UTC) < at - dt.timedelta(seconds=0.5):
        assert smtp_sink_process.files() == [], "the issue went out before its time"
        time.sleep(0.2)
    messages = smtp_sink_process.wait_for(len(readers), timeout=60)
    first_arrival = min(int(path.name.split("-")[0]) for path in smtp_sink_process.files()) / 1e9
    assert first_arrival >= at.timestamp()
    assert sorted(a for m in messages for a in smtp_sink_process.recipients(m)) == sorted(readers)
    print(f"\nscheduled issue: first message {first_arrival - at.timestamp():.2f} s after its time")  # noqa: T201
