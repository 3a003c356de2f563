"""In production the subscribe API and form only record the request (one outbox row) and the worker
subscribes, so a new, a pending and a subscribed address take the same work and the same answer."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
from shared.models import OutboxMessage
from tests.subscriptions.conftest import emails_to, make_subscriber

BODY = {"name": "Aino Virtanen", "language": "fi", "topics": ["newsletter"]}


def _outbox_rows() -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(sa.select(OutboxMessage.actor_name).order_by(OutboxMessage.id)))


def test_every_address_costs_one_recorded_request_and_gets_the_same_answer(
        client: Client, apps: dict[str, Flask], drain: Callable[..., None]) -> None:
    apps["subscriptions"].config["SUBSCRIBE_IN_WORKER"] = True
    make_subscriber("confirmed@example.fi")
    make_subscriber("pending@example.fi", status="pending")
    answers = []
    for address in ("new@example.fi", "pending@example.fi", "confirmed@example.fi"):
        before = _outbox_rows().count("subscriptions.subscribe")
        response = client.post("/newsletter/api/v1/subscriptions", json={**BODY, "email": address})
        answers.append((response.status_code, response.get_data()))
        assert _outbox_rows().count("subscriptions.subscribe") == before + 1
    assert answers == [answers[0]] * 3
    assert answers[0][0] == 202
    drain()
    with db.transaction() as session:
        statuses = {row.email: row.status for row in session.execute(sa.select(Subscriber.email, Subscriber.status))}
    assert statuses == {"new@example.fi": SubscriberStatus.PENDING, "pending@example.fi": SubscriberStatus.PENDING,
                        "confirmed@example.fi": SubscriberStatus.CONFIRMED}
    assert [p["template"] for p in emails_to("new@example.fi")] == ["confirm-subscription"]
    assert [p["template"] for p in emails_to("pending@example.fi")] == ["confirm-subscription"]
    assert [p["template"] for p in emails_to("confirmed@example.fi")] == ["already-subscribed"]


def test_the_form_records_the_request_too(client: Client, apps: dict[str, Flask], drain: Callable[..., None]) -> None:
    apps["subscriptions"].config["SUBSCRIBE_IN_WORKER"] = True
    response = client.post("/newsletter/", data={**BODY, "email": "form@example.fi"})
    assert response.status_code == 303
    drain()
    assert [p["template"] for p in emails_to("form@example.fi")] == ["confirm-subscription"]
