"""Feedback after an event: the requests, one answer per participant, and the anonymous summary
and export rows (no names, no addresses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.events import emails
from services.events.models import Event, FeedbackResponse, Registration, RegistrationStatus
from services.events.operations.events import get_event
from services.events.operations.seats import active_registrations
from shared.errors import Conflict, InvalidInput

TOO_LONG = "This is too long."
ALREADY_GIVEN = "You have already given feedback. Thank you!"


def send_feedback_requests(session: Session, event_id: int) -> int:
    """Ask every participant with a seat for feedback (the scheduler's job after the event)."""
    event = session.get(Event, event_id)
    if event is None or event.is_cancelled or not event.feedback_questions:
        return 0
    confirmed = [r for r in active_registrations(session, event_id) if r.holds_seat]
    for registration in confirmed:
        emails.feedback_request(session, event, registration)
    return len(confirmed)


def submit_feedback(session: Session, registration: Registration, raw: Mapping[str, Any]) -> FeedbackResponse:
    """One response per registration: ratings 1-5 and free text, per the event's feedback questions."""
    event = registration.event
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise Conflict("Only participants can give feedback.")
    if session.scalar(select(FeedbackResponse.id).where(FeedbackResponse.registration_id == registration.id)):
        raise Conflict(ALREADY_GIVEN)
    ratings, texts = _read_answers(event, raw)
    response = FeedbackResponse(event_id=event.id, registration_id=registration.id, ratings=ratings, texts=texts)
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError as error:
        raise Conflict(ALREADY_GIVEN) from error
    return response


def _read_answers(event: Event, raw: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    errors: dict[str, list[str]] = {}
    ratings: dict[str, int] = {}
    texts: dict[str, str] = {}
    for question in event.feedback_questions:
        key = question["key"]
        value = raw.get(key)
        if value in (None, ""):
            continue
        if question["type"] == "rating":
            rating = _rating(value)
            if rating is None:
                errors[key] = ["Choose a number from 1 to 5."]
            else:
                ratings[key] = rating
        elif isinstance(value, str) and value.strip():
            if len(value) > 4000:
                errors[key] = [TOO_LONG]
            texts[key] = value.strip()
    if errors:
        raise InvalidInput("Check these fields: " + ", ".join(sorted(errors)) + ".", errors=errors)
    if not ratings and not texts:
        raise InvalidInput("Answer at least one question.", errors={"_schema": ["Answer at least one question."]})
    return ratings, texts


def _rating(value: Any) -> int | None:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 5 else None


def _responses(session: Session, event_id: int) -> list[FeedbackResponse]:
    return list(session.scalars(select(FeedbackResponse).where(FeedbackResponse.event_id == event_id)
                                .order_by(FeedbackResponse.id)))


def feedback_summary(session: Session, event_id: int) -> dict[str, Any]:
    """Anonymous summary: per rating question the count, average and 1-5 distribution; texts without names."""
    event = get_event(session, event_id)
    responses = _responses(session, event_id)
    questions: list[dict[str, Any]] = []
    for question in event.feedback_questions:
        key = question["key"]
        entry: dict[str, Any] = {"key": key, "type": question["type"], "label": question["label"]}
        if question["type"] == "rating":
            values = [r.ratings[key] for r in responses if key in r.ratings]
            entry.update(count=len(values), average=round(sum(values) / len(values), 2) if values else None,
                         distribution={str(n): values.count(n) for n in range(1, 6)})
        else:
            entry["answers"] = sorted(r.texts[key] for r in responses if r.texts.get(key))
        questions.append(entry)
    return {"event_id": event.id, "responses": len(responses), "questions": questions}


def feedback_table(session: Session, event_id: int) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of the anonymous feedback export: a response number and one column per question."""
    event = get_event(session, event_id)
    keys = [q["key"] for q in event.feedback_questions]
    rows = [[n, *[r.ratings.get(k, r.texts.get(k, "")) for k in keys]]
            for n, r in enumerate(_responses(session, event_id), start=1)]
    return ["response", *keys], rows
