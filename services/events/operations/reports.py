"""The organiser's view of registrations: the list, the counts and the rows of the exports: the API's
CSV with stored values (`registrations_table`) and the workspace's files for people
(`readable_registrations`: words, the questions' texts, real times; shared.csvfile / shared.spreadsheet)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.events.models import Registration, RegistrationStatus
from services.events.operations.events import get_event
from services.events.operations.seats import waiting_list
from shared.labels import mode_label, sector_label

Table = tuple[list[str], list[list[Any]]]
READABLE_COLUMNS = ("status", "queue_position", "name", "email", "organisation", "sector", "participation", "language",
                    "dietary_needs", "accessibility_needs")


def list_registrations(session: Session, event_id: int, status: str | None = None) -> list[Registration]:
    get_event(session, event_id)
    query = select(Registration).where(Registration.event_id == event_id)
    if status:
        query = query.where(Registration.status == RegistrationStatus(status))
    return list(session.scalars(query.order_by(Registration.queued_at, Registration.id)))


def registration_counts(session: Session, event_id: int) -> dict[str, Any]:
    """Counts by status, participation mode, organisation and sector (confirmed seats), plus check-ins."""
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
        "by_sector": dict(sorted(Counter(r.sector.value if r.sector else "unknown" for r in confirmed).items())),
        "checked_in": sum(1 for r in confirmed if r.checked_in),
    }


def registrations_table(session: Session, event_id: int) -> Table:
    """(header, rows) of the registrations export: one column per question of the event."""
    event = get_event(session, event_id)
    questions = [q["key"] for q in event.questions]
    header = ["status", "queue_position", "name", "email", "organisation", "sector", "participation", "language",
              "dietary_needs", "accessibility_needs", *questions, "checked_in", "registered_at",
              "hold_until"]
    waiting_positions = {r.id: i for i, r in enumerate(waiting_list(session, event_id), start=1)}
    rows = []
    for r in list_registrations(session, event_id):
        answers = [_answer_text(r.answers.get(key)) for key in questions]
        rows.append([r.status.value, waiting_positions.get(r.id, ""), r.name, r.email, r.organisation,
                     r.sector.value if r.sector else "", r.participation.value, r.language, r.dietary_needs,
                     r.accessibility_needs, *answers,
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


def readable_registrations(session: Session, event_id: int, language: str, words: Mapping[str, str]) -> Table:
    """The registrations for people in `language`: `words` names the columns (READABLE_COLUMNS,
    checked_in, registered_at, hold_until), statuses, languages and yes/no; questions by their text,
    choices by their option's text; times as aware datetimes."""
    event = get_event(session, event_id)
    questions = list(event.questions)
    header = [words.get(key, key) for key in READABLE_COLUMNS]
    header += [_localised(q.get("label"), language, q["key"]) for q in questions]
    header += [words.get(key, key) for key in ("checked_in", "registered_at", "hold_until")]
    waiting_positions = {r.id: i for i, r in enumerate(waiting_list(session, event_id), start=1)}
    rows = []
    for r in list_registrations(session, event_id):
        answers = [_readable_answer(q, r.answers.get(q["key"]), language, words) for q in questions]
        rows.append([words.get(r.status.value, r.status.value), waiting_positions.get(r.id), r.name, r.email,
                     r.organisation, sector_label(r.sector.value, language) if r.sector else "",
                     mode_label(r.participation.value, language), words.get(r.language, r.language),
                     r.dietary_needs, r.accessibility_needs, *answers, _yes_no(r.checked_in, words), r.created_at,
                     r.hold_until])
    return header, rows


def _localised(texts: Any, language: str, fallback: str) -> str:
    if not isinstance(texts, Mapping):
        return fallback
    return str(texts.get(language) or texts.get("fi") or texts.get("en") or fallback)


def _yes_no(value: bool, words: Mapping[str, str]) -> str:
    return words.get("yes", "yes") if value else words.get("no", "no")


def _readable_answer(question: Mapping[str, Any], value: Any, language: str, words: Mapping[str, str]) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value, words)
    options = {o["value"]: _localised(o.get("label"), language, o["value"]) for o in question.get("options") or []}
    if isinstance(value, list):
        return ", ".join(options.get(str(v), str(v)) for v in value)
    return options.get(str(value), value) if isinstance(value, str) else value
