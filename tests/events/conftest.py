"""Fixtures for the events service tests."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from services.events.models import db
from shared.models import OutboxMessage


@pytest.fixture
def events_app(apps: dict[str, Any]) -> Any:
    return apps["events"]


@pytest.fixture
def sent_emails(events_app: Any) -> Any:
    """The SEND_EMAIL payloads in the events outbox, optionally of one template."""

    def read(template: str | None = None) -> list[dict[str, Any]]:
        with db.transaction() as session:
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.actor_name == "mailer.send_email")
                                   .order_by(OutboxMessage.id)).all()
            payloads = [row.payload for row in rows]
        return [p for p in payloads if template is None or p["template"] == template]

    return read
