"""Feedback after an event: the requests, one answer per participant, and the anonymous summary
and export rows (no names, no addresses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.events import emails
from services.events.models import Event, FeedbackResponse, Registration, RegistrationStatus
from services.events.operations.events import get_event, lock_event
from services.events.operations.seats import active_registrations
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput

TOO_LONG = "This is too long."
ALREADY_GIVEN = "You have already given feedback. Thank you!"
CHECKED_IN = "checked-in"  # the default: people marked arrived
EVERYONE = "everyone"  # everyone with a seat, arrived or not
AUDIENCES = (CHECKED_IN, EVERYONE)


def not_yet_asked(session: Session, event: Event, audience: str) -> list[Registration]:
    """People with a seat (only those marked arrived for CHECKED_IN) who have not been asked yet."""
    seated = [r for r in active_registrations(session, event.id) if r.holds_seat]
    chosen = seated if audience == EVERYONE else [r for r in seated if r.checked_in]
    return [r for r in chosen if r.feedback_requested_at is None]


def request_feedback(session: Session, event_id: int, audience: str, now: dt.datetime | None = None) -> int:
    """The organiser sends the feedback request to `audience` (CHECKED_IN or EVERYONE); nobody is
    asked twice. Only once the event has started, and only when it has feedback questions."""
    now = now or utcnow()
    if audience not in AUDIENCES:
        raise InvalidInput("Choose who gets the request.", errors={"audience": ["Choose one of the options."]})
    event = lock_event(session, event_id)
    if event.is_cancelled:
        raise Conflict("A cancelled event gets no feedback.")
    if not event.feedback_questions:
        raise Conflict("Add feedback questions first.")
    if event.starts_at > now:
        raise Conflict("You can ask for feedback once the event has started.")
    return _ask(session, event, not_yet_asked(session, event, audience), now)


def send_feedback_requests(session: Session, event_id: int, now: dt.datetime | None = None) -> int:
    """The scheduler's job after the event, with the organiser's default: the people marked arrived.
    When nobody was marked arrived (check-in not used, as at an online event) nobody can tell who came,
    so everyone with a seat is asked. Whoever the organiser already asked is not asked again."""
    event = session.get(Event, event_id)
    if event is None or event.is_cancelled or not event.feedback_questions:
        return 0
    seated = [r for r in active_registrations(session, event_id) if r.holds_seat]
    audience = CHECKED_IN if any(r.checked_in for r in seated) else EVERYONE
    return _ask(session, event, not_yet_asked(session, event, audience), now or utcnow())


def _ask(session: Session, event: Event, people: list[Registration], now: dt.datetime) -> int:
    for registration in people:
        registration.feedback_requested_at = now
        emails.feedback_request(session, event, registration)
    session.flush()
    return len(people)


def requests_sent(session: Session, event_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == event_id, Registration.feedback_requested_at.is_not(None))) or 0)


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
    requested = requests_sent(session, event_id)
    rate = round(len(responses) / requested, 3) if requested > 0 and len(responses) <= requested else None
    return {"event_id": event.id, "responses": len(responses), "requested": requested, "response_rate": rate,
            "questions": questions}


def feedback_table(session: Session, event_id: int) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of the anonymous feedback export: a response number and one column per question."""
    event = get_event(session, event_id)
    keys = [q["key"] for q in event.feedback_questions]
    rows = [[n, *[r.ratings.get(k, r.texts.get(k, "")) for k in keys]]
            for n, r in enumerate(_responses(session, event_id), start=1)]
    return ["response", *keys], rows


def readable_feedback(session: Session, event_id: int, language: str,
                      number_header: str) -> tuple[list[str], list[list[Any]]]:
    """The same anonymous rows for people: the questions' texts in `language` as the header, ratings as numbers."""
    event = get_event(session, event_id)
    _keys, rows = feedback_table(session, event_id)
    texts = [q["label"].get(language) or q["label"].get("fi") or q["key"] for q in event.feedback_questions]
    return [number_header, *texts], rows
