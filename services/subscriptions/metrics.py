"""What the subscriptions service adds to its `/newsletter/metrics`: subscribers by status."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from prometheus_client.core import Metric
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
from shared.metrics import counts_by, gauge, register_database_metrics


def register(app: Flask) -> None:
    register_database_metrics(app, _subscribers)


def _subscribers(session: Session, service: str) -> Iterator[Metric]:
    counts = counts_by(session, Subscriber.status, [status.value for status in SubscriberStatus])
    yield gauge("elo_subscribers", "Newsletter subscribers by status", service, counts, "status")
