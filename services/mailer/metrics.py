"""What the mailer adds to its `/mailer/metrics`: deliveries by status (sent, failed, suppressed…)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from prometheus_client.core import Metric
from sqlalchemy.orm import Session

from services.mailer.models import Delivery, DeliveryStatus
from shared.metrics import counts_by, gauge, register_database_metrics


def register(app: Flask) -> None:
    register_database_metrics(app, _deliveries)


def _deliveries(session: Session, service: str) -> Iterator[Metric]:
    # A gauge, not a counter: erasure and retention remove rows, and a counter must never go down.
    # Alerts use delta() over a window (deploy/prometheus/alerts.yml).
    counts = counts_by(session, Delivery.status, [status.value for status in DeliveryStatus])
    yield gauge("elo_mail_deliveries", "Emails in the delivery log by status", service, counts, "status")
