"""The organiser's view of registrations: the list, the counts and the rows of the CSV export
(written by shared.csvfile in the API and the workspace)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events.models import Registration, RegistrationStatus
from services.events.operations.events import get_event
from services.events.operations.seats import waiting_list

Table = tuple[list[str], list[list[Any]]]


def list_registrations(session: Session, event_id: int, status: str | None = None) -> list[Registration]:
    get_event(session, event_id)
    query = select(Registration).where(Registration.event_id == event_id)
    if status:
        query = query.where(Registration.status == RegistrationStatus(status))
    return list(session.scalars(query.order_by(Registration.queued_at, Registration.id)))


def registration_counts(session: Session, event_id: int) -> dict[str, Any]:
    """Counts by status, participation mode and organisation (confirmed seats), plus check-ins."""
    event = get_event(session, event_id)
    rows = list_registrations(session, event_id)
    confirmed = [r for r in rows if r.status is RegistrationStatus.CONFIRMED]
    return {
        "event_id": event.id,
        "capacity": event.capacity,
        "by_status": dict(Counter(r.status.value for r in rows)),
        "pending": sum(1 for r in rows if r.status is RegistrationStatus.PENDING),
        "by_participation": dict(Counter(r.participation.value for r in confirmed)),
        "by_organisation": dict(sorted(Counter(r.organisation or "-" for r in confirmed).items())),
        "checked_in": sum(1 for r in confirmed if r.checked_in),
    }


def registrations_table(session: Session, event_id: int) -> Table:
    """(header, rows) of the registrations export: one column per question of the event."""
    event = get_event(session, event_id)
    questions = [q["key"] for q in event.questions]
    header = ["status", "queue_position", "name", "email", "organisation", "participation", "language",
              "dietary_needs", "accessibility_needs", *questions, "checked_in", "registered_at",
              "hold_until"]
    waiting_positions = {r.id: i for i, r in enumerate(waiting_list(session, event_id), start=1)}
    rows = []
    for r in list_registrations(session, event_id):
        answers = [_answer_text(r.answers.get(key)) for key in questions]
        rows.append([r.status.value, waiting_positions.get(r.id, ""), r.name, r.email, r.organisation,
                     r.participation.value, r.language, r.dietary_needs, r.accessibility_needs, *answers,
                     "yes" if r.checked_in else "no", r.created_at.isoformat(timespec="seconds"),
                     r.hold_until.isoformat(timespec="seconds") if r.hold_until else ""])
    return header, rows


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
