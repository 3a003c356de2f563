"""Shared pieces of the cross-service reliability tests (test_system_*.py)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from dramatiq import Broker
from flask import Flask
from werkzeug.test import Client

from services import SERVICES
from shared.models import OutboxMessage
from shared.ratelimit import reset_rates


def event_body(title: str, *, capacity: int = 1000, reminder_minutes: list[int] | None = None) -> dict[str, Any]:
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=10)
    return {
        "kind": "seminar", "mode": "onsite", "capacity": capacity,
        "title": {"fi": title, "sv": f"{title} (sv)", "en": f"{title} (en)"},
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
        "address": "Oulun kaupungintalo, Torikatu 10, Oulu",
        "reminder_minutes": reminder_minutes if reminder_minutes is not None else [2880, 120],
    }


def registration_body(email: str) -> dict[str, Any]:
    return {"name": "Aino Virtanen", "email": email, "organisation": "Oulun kaupunki",
            "participation": "onsite", "language": "fi"}


def addresses(label: str, count: int) -> list[str]:
    run = secrets.token_hex(3)
    return [f"{label}{n}.{run}@example.org" for n in range(count)]


def create_event(client: Client, headers: dict[str, str], title: str, **options: Any) -> dict[str, Any]:
    response = client.post("/events/api/v1/events", json=event_body(title, **options), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


def register_in_process(client: Client, event_id: int, emails: list[str], *, confirm_in: Flask | None = None) -> None:
    """Register each address through the API; with `confirm_in` (the events app) each person then
    confirms the address through the link in the email, so the seat is confirmed."""
    from services.events.models import Registration, db
    from tests.events.factories import confirm_by_link

    for email in emails:
        reset_rates()
        response = client.post(f"/events/api/v1/events/{event_id}/registrations", json=registration_body(email))
        assert response.status_code == 201, response.get_data(as_text=True)
        if confirm_in is not None:
            with confirm_in.app_context(), db.transaction() as session:
                registration_id = session.scalars(sa.select(Registration.id).where(
                    Registration.event_id == event_id, Registration.email == email)).one()
            confirm_by_link(confirm_in, registration_id)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def settled(broker: Broker) -> bool:
    """Nothing is left to happen: every outbox row in every service is acknowledged (its consumer is done
    with it), no message waits on the broker (ready or delayed) and every mail delivery is finished.
    Once the due jobs are done, waiting for this proves that nothing more will arrive, where a fixed
    sleep would only guess."""
    from services.mailer.models import FINISHED, Delivery, db

    for info in SERVICES:
        with info.module().db.engine.connect() as connection:
            unacknowledged = connection.execute(sa.select(sa.func.count()).select_from(OutboxMessage)
                                                .where(OutboxMessage.acknowledged_at.is_(None))).scalar_one()
            if unacknowledged:
                return False
    if any(sum(broker.get_queue_message_counts(name)[:2]) for name in broker.get_declared_queues()):
        return False
    with db.engine.connect() as connection:
        unfinished = connection.execute(sa.select(sa.func.count()).select_from(Delivery)
                                        .where(Delivery.status.not_in(FINISHED))).scalar_one()
    return unfinished == 0


def _settled_now(broker: Broker) -> bool:
    """`settled`, on a fresh connection when RabbitMQ closed the old one (a blocking connection left idle
    while a test waits for mail misses its heartbeats)."""
    import pika.exceptions

    try:
        return settled(broker)
    except pika.exceptions.AMQPError:
        del broker.connection  # dramatiq closes it and opens a new one on the next call
        return False


def wait_until_settled(timeout: float = 60.0) -> None:
    """`settled` on the test's broker (the `broker` fixture made it the process's), seen on two polls in a
    row (a message between a queue and its consumer shows on neither side for an instant)."""
    from shared.broker import get_broker

    broker = get_broker()
    in_a_row = 0
    deadline = time.monotonic() + timeout
    while in_a_row < 2:
        if time.monotonic() > deadline:
            raise AssertionError(f"the system did not settle within {timeout:.0f} s")
        in_a_row = in_a_row + 1 if _settled_now(broker) else 0
        time.sleep(0.25)
