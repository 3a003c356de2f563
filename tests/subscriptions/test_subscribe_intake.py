"""The subscribe API's intake (production's path): the request is one outbox row committed before the answer
and its message sent at once; the worker does the rest, once, whatever happens to the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import ConsentEvent
from services.subscriptions.subscribers.operations import consent, intake
from shared.models import OutboxMessage
from shared.outbox import sweep
from tests.subscriptions.conftest import emails_to, make_subscriber

BODY = {"name": "Aino Virtanen", "language": "fi", "topics": ["newsletter"]}
URL = "/newsletter/api/v1/subscriptions"


@pytest.fixture
def direct(apps: dict[str, Flask]) -> None:
    apps["subscriptions"].config.update(SUBSCRIBE_IN_WORKER=True, SUBSCRIBE_DIRECT_INTAKE=True)


def _rows() -> list[Any]:
    with db.engine.connect() as connection:  # another connection: only what was committed
        return list(connection.execute(sa.select(OutboxMessage.relayed_at, OutboxMessage.acknowledged_at)
                                       .where(OutboxMessage.actor_name == "subscriptions.subscribe")))


def _consents() -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(ConsentEvent)).scalar_one())


@pytest.mark.usefixtures("direct")
def test_committed_before_the_answer_and_done_once(client: Client, drain: Callable[..., None]) -> None:
    make_subscriber("confirmed@example.fi")
    make_subscriber("pending@example.fi", status="pending")
    answers = set()
    for address in ("new@example.fi", "pending@example.fi", "confirmed@example.fi"):
        response = client.post(URL, json={**BODY, "email": address})
        assert response.status_code == 202
        answers.add(response.get_data())
    assert len(answers) == 1  # byte-identical for a new, a pending and a subscribed address
    assert len(_rows()) == 3
    drain()
    assert [p["template"] for p in emails_to("new@example.fi")] == ["confirm-subscription"]
    assert [p["template"] for p in emails_to("pending@example.fi")] == ["confirm-subscription"]
    assert [p["template"] for p in emails_to("confirmed@example.fi")] == ["already-subscribed"]
    assert all(acknowledged is not None for _relayed, acknowledged in _rows())
    assert sweep(db, resend_after=0.0, include_fresh=True) == 0  # acknowledged: nothing goes again


@pytest.mark.usefixtures("direct")
def test_a_message_that_never_left_is_sent_by_the_sweep_once(
        client: Client, drain: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    def broker_away(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionError("broker away")

    monkeypatch.setattr(intake, "send", broker_away)
    response = client.post(URL, json={**BODY, "email": "lost@example.fi"})
    assert response.status_code == 202
    assert [relayed for relayed, _ack in _rows()] == [None]  # committed, not sent
    monkeypatch.undo()
    assert sweep(db, resend_after=3600.0, include_fresh=True) == 1
    drain()
    assert sweep(db, resend_after=3600.0, include_fresh=True) == 0
    assert [p["template"] for p in emails_to("lost@example.fi")] == ["confirm-subscription"]
    assert _consents() == 1


@pytest.mark.usefixtures("direct")
def test_a_request_delivered_twice_subscribes_and_mails_once(
        client: Client, apps: dict[str, Flask], drain: Callable[..., None]) -> None:
    response = client.post(URL, json={**BODY, "email": "twice@example.fi"})
    assert response.status_code == 202
    drain()
    # The sweep's copy arrives after the first was done (as the actor runs it).
    with apps["subscriptions"].app_context(), db.transaction() as session:
        payload = session.scalars(sa.select(OutboxMessage.payload)
                                  .where(OutboxMessage.actor_name == "subscriptions.subscribe")).one()
        consent.subscribe_step(session, payload)
    drain()
    assert [p["template"] for p in emails_to("twice@example.fi")] == ["confirm-subscription"]
    assert _consents() == 1


@pytest.mark.usefixtures("direct")
def test_a_filled_honeypot_records_nothing(client: Client) -> None:
    response = client.post(URL, json={**BODY, "email": "bot@example.fi", "website": "http://spam.example"})
    assert response.status_code == 202
    assert _rows() == []
