"""One network's large issue does not stall another network's registration mail (issue #16, point 8).

The real processes on PostgreSQL + RabbitMQ, sending into an SMTP server in another process at a mail
rate of 20 messages a second: the default network sends an issue that takes about 20 s at that cap, and
while it is going out a person registers for an event of the network `lappi` through the served events
API. Transactional mail (queue "mailer") and issue batches (queue "mailer-bulk") share one rate cap and
one worker; the registration mail must still arrive within a few seconds, from lappi's address, with
links under /lappi/, and the issue must still reach every subscriber exactly once.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import Client

from services import SERVICES
from services.subscriptions.models import db
from services.subscriptions.newsletter.operations import sending
from shared.auth import new_token, store_token
from shared.networks import Network, using_network
from tests.networks.conftest import network_b  # noqa: F401 (a fixture: the network `lappi`)
from tests.reliability.conftest import Processes, SmtpSinkProcess, request_json
from tests.reliability.system_helpers import event_body, registration_body, wait_until
from tests.security.flows import address
from tests.subscriptions.newsletter_factories import make_issue, make_subscribers

RATE = 20
READERS = 400  # 20 s at the cap
# An issue keeps at most IN_FLIGHT_WINDOW recipients (two batches, so two threads) with the mailer; the
# other threads stay free for transactional mail. With as many bulk batches as threads the registration
# mail waits for a whole batch (2 threads here: 17 s, after the last issue message).
WORKER_THREADS = 4
# The registration mail may wait for its own slot in the shared cap and for the hops between the
# processes (events' outbox relay, the broker, the worker), never for the issue.
MAIL_DELAY_BOUND = 5.0
LINK = re.compile(r"https?://[^\s\"<>]+")


def organizer_of(network: Network) -> dict[str, str]:
    """A token of `network`, as `elo create-token --role organizer --network <slug>` stores it."""
    token = new_token()
    with using_network(network):
        for info in SERVICES:
            with info.module().db.transaction() as session:
                store_token(session, token, "organizer")
    return {"Authorization": f"Bearer {token}"}


def arrival(path: Path) -> float:
    """When the sink accepted the message (its file name starts with time.time_ns())."""
    return int(path.name.split("-")[0]) / 1e9


def files_to(sink: SmtpSinkProcess, recipient: str) -> list[Path]:
    """The sink's files addressed to `recipient` (its first line lists the envelope recipients)."""
    found = []
    for path in sink.files():
        with path.open("rb") as file:
            if recipient.encode() in file.readline():
                found.append(path)
    return found


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def issue_to_readers(client: Client, admin_headers: Callable[[str], dict[str, str]]) -> tuple[int, list[str]]:
    """A new issue of the default network and its READERS confirmed subscribers: (issue id, addresses)."""
    readers = make_subscribers(READERS)
    return make_issue(client, admin_headers("editor"))["id"], readers


def assert_belongs_to(message: EmailMessage, network: Network) -> None:
    """The mail is the network's: its From, and its links under /<slug>/ (none at the default network's prefixes)."""
    assert parseaddr(str(message["From"])) == parseaddr(network.mail_from)
    paths = [urllib.parse.urlsplit(link).path for link in LINK.findall(text_of(message))]
    assert any(path.startswith(f"/{network.slug}/events/") for path in paths), paths  # e.g. the confirm link
    assert not [path for path in paths if path.startswith(("/events/", "/newsletter/"))], paths


def send_issue_now(apps: dict[str, Flask], issue_id: int) -> None:
    with apps["subscriptions"].app_context(), db.transaction() as session:
        sending.send(session, issue_id, None)


def test_registration_mail_of_another_network_does_not_wait_for_an_issue(
        processes: Processes, smtp_sink_process: SmtpSinkProcess, apps: dict[str, Flask],
        issue_to_readers: tuple[int, list[str]], network_b: Network) -> None:  # noqa: F811
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    processes.env["ELO_MAIL_RATE"] = str(RATE)
    issue_id, readers = issue_to_readers
    events = processes.start_web("events", workers=1)
    processes.start_web("mailer", workers=1)  # its campaign counts pace the issue's expansion
    processes.start_worker(processes=1, threads=WORKER_THREADS)
    status, event = request_json("POST", f"{events.url}/{network_b.slug}/events/api/v1/events",
                                 event_body("Lapin ohjauspäivä"), headers=organizer_of(network_b))
    assert status == 201, event

    issue_started = time.time()
    send_issue_now(apps, issue_id)
    # The issue is going out at the cap: a few seconds' worth has arrived, most of it is still to come.
    assert wait_until(lambda: len(smtp_sink_process.files()) >= 3 * RATE, timeout=30, interval=0.1)
    registrant = address("lappi-registrant")
    registered_at = time.time()
    registrations = f"{events.url}/{network_b.slug}/events/api/v1/events/{event['id']}/registrations"
    status, body = request_json("POST", registrations, registration_body(registrant))
    assert status == 201, body
    assert wait_until(lambda: bool(files_to(smtp_sink_process, registrant)), timeout=60, interval=0.05)
    [registration_file] = files_to(smtp_sink_process, registrant)
    delay = arrival(registration_file) - registered_at

    assert wait_until(lambda: len(smtp_sink_process.files()) >= READERS + 1, timeout=60, interval=0.2)
    issue_files = [path for path in smtp_sink_process.files() if path != registration_file]
    issue_span = max(map(arrival, issue_files)) - issue_started
    left_after = sum(1 for path in issue_files if arrival(path) > arrival(registration_file))
    print(f"\nfairness at ELO_MAIL_RATE={RATE}: lappi's registration mail arrived {delay:.2f} s after the "  # noqa: T201
          f"request, {left_after} issue messages still to go; the issue's {len(issue_files)} messages "
          f"took {issue_span:.1f} s")

    assert delay <= MAIL_DELAY_BOUND
    assert left_after >= 5 * RATE  # well before the issue finished: at least 5 s of it still to send
    assert_belongs_to(smtp_sink_process.to(registrant)[0], network_b)
    counts = smtp_sink_process.counts()
    assert {reader: counts[reader] for reader in readers} == dict.fromkeys(readers, 1)
    assert sum(counts.values()) == READERS + 1
    assert issue_span >= 0.9 * READERS / RATE  # the cap was in force for the issue
