"""Fixtures of the subscriptions service's tests (shared by the subscribers and newsletter parts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from services.subscriptions.models import db
from shared.models import OutboxMessage
from shared.ratelimit import reset_rates

# --- subscribers part -----------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in memory across tests; each test starts with none."""
    reset_rates()
    yield
    reset_rates()


def subscription_outbox(actor_name: str = "mailer.send_email") -> list[dict[str, Any]]:
    """Payloads the subscriptions service has written to its outbox for `actor_name`, oldest first."""
    with db.transaction() as session:
        return [row.payload for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.actor_name == actor_name).order_by(OutboxMessage.id))]


def emails_to(address: str, template: str | None = None) -> list[dict[str, Any]]:
    return [p for p in subscription_outbox() if p["recipient"]["email"] == address
            and (template is None or p["template"] == template)]


def make_subscriber(email: str = "aino.virtanen@example.fi", *, name: str | None = "Aino Virtanen",
                    status: str = "confirmed", language: str = "fi",
                    topics: tuple[str, ...] = ("newsletter",)) -> int:
    """A subscriber row made directly (no emails), for tests that start from a known state; returns its id."""
    from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
    from shared.db import utcnow
    from shared.privacy import email_hash
    from tests.conftest import TEST_SECRET_KEY

    with db.transaction() as session:
        subscriber = Subscriber(email=email, email_hash=email_hash(TEST_SECRET_KEY, email), name=name,
                                language=language, status=SubscriberStatus(status), source="form",
                                confirmed_at=utcnow() if status == "confirmed" else None)
        subscriber.set_topics(topics)
        session.add(subscriber)
        session.flush()
        return subscriber.id
