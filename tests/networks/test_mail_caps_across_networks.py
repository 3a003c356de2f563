"""A bot gains nothing by moving between networks: the cap on mail caused by anonymous input counts every
network together, and an address that bounced or complained in one network gets no list mail from any."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.test import Client

from shared.db import utcnow
from shared.networks import Network, using_network
from shared.privacy import email_hash
from shared.settings import Settings, load_settings
from tests.conftest import Backend, SmtpSink
from tests.security import flows

CAP = 3  # the default of ELO_ANONYMOUS_MAIL_PER_DAY


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


def _subscribe(client: Client, prefix: str, email: str, language: str, topics: list[str]) -> int:
    body = {"email": email, "name": "Botti", "language": language, "topics": topics}
    return client.post(f"{prefix}/newsletter/api/v1/subscriptions", json=body).status_code


def test_the_anonymous_mail_cap_counts_every_network(client: Client, network_b: Network, smtp_sink: SmtpSink,
                                                     drain: Callable[..., None]) -> None:
    victim = flows.address("victim")
    choices = [("fi", ["newsletter"]), ("sv", ["newsletter"]), ("fi", ["events"]), ("sv", ["events"])]
    answers = [_subscribe(client, "", victim, language, topics) for language, topics in choices[:2]]
    answers += [_subscribe(client, f"/{network_b.slug}", victim, language, topics) for language, topics in choices]
    drain()
    assert answers == [202] * 6
    assert len(smtp_sink.to(victim)) == CAP


def test_a_suppression_in_one_network_stops_mail_from_the_others(
        client: Client, apps: dict[str, Flask], network_b: Network, smtp_sink: SmtpSink,
        drain: Callable[..., None]) -> None:
    from services.mailer.delivery.claims import suppressed_hashes
    from services.mailer.log import log_transaction
    from services.mailer.models import db as mailer_db
    from services.mailer.operations import record_suppression

    secret = apps["mailer"].config["SECRET_KEY"]
    bounced, complained = flows.address("bounced"), flows.address("complained")
    with apps["mailer"].app_context():
        with using_network(network_b), mailer_db.transaction() as session:
            assert record_suppression(session, secret_key=secret, email=bounced, reason="hard-bounce",
                                      occurred_at=utcnow(), detail=None)
        with mailer_db.transaction() as session:
            assert record_suppression(session, secret_key=secret, email=complained, reason="complaint",
                                      occurred_at=utcnow(), detail=None)
        hashes = {email_hash(secret, bounced), email_hash(secret, complained)}
        with log_transaction() as session:
            assert suppressed_hashes(session, hashes) == hashes
        with using_network(network_b), log_transaction() as session:
            assert suppressed_hashes(session, hashes) == hashes
    drain()
    assert _subscribe(client, "", bounced, "fi", ["newsletter"]) == 202
    assert _subscribe(client, f"/{network_b.slug}", complained, "fi", ["newsletter"]) == 202
    drain()
    assert smtp_sink.to(bounced) == []
    assert smtp_sink.to(complained) == []
