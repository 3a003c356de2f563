"""What the events service adds to its `/events/metrics`: registrations by status."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from prometheus_client.core import Metric
from sqlalchemy.orm import Session

from services.events.models import Registration, RegistrationStatus
from shared.metrics import counts_by, gauge, register_database_metrics


def register(app: Flask) -> None:
    register_database_metrics(app, _registrations)


def _registrations(session: Session, service: str) -> Iterator[Metric]:
    counts = counts_by(session, Registration.status, [status.value for status in RegistrationStatus])
    yield gauge("elo_event_registrations", "Event registrations by status", service, counts, "status")
