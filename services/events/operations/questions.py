"""An event's own questions, edited one at a time: the registration questions (asked in the
registration form) and the feedback questions (asked after the event). Add, change, delete and
move; every list is checked with the API's schemas (`schemas.Question`, `schemas.FeedbackQuestion`),
so the workspace and the API accept the same questions.

A question's key never changes once made: registrations and feedback store their answers by it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session

from services.events.models import Event
from services.events.operations.events import lock_event, slugify
from services.events.schemas import FeedbackQuestion, Question
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound

REGISTRATION = "registration"
FEEDBACK = "feedback"
KINDS = (REGISTRATION, FEEDBACK)
_FIELDS = {REGISTRATION: "questions", FEEDBACK: "feedback_questions"}
_SCHEMAS: dict[str, type[Schema]] = {REGISTRATION: Question, FEEDBACK: FeedbackQuestion}
KEY_LENGTH = 40


def questions_of(event: Event, kind: str) -> list[dict[str, Any]]:
    return [dict(question) for question in getattr(event, _FIELDS[_known(kind)]) or []]


def find_question(event: Event, kind: str, key: str) -> dict[str, Any]:
    for question in questions_of(event, kind):
        if question["key"] == key:
            return question
    raise NotFound("There is no such question.")


def save_question(session: Session, event_id: int, kind: str, data: Mapping[str, Any],
                  key: str | None = None) -> dict[str, Any]:
    """Add a question (`key` None: a new key from its Finnish label) or change the one with `key`.
    `data["options"]` may leave out the values: an option keeps the value of an old option with the
    same Finnish label, a new one gets a value of its own."""
    event = _editable(session, event_id)
    current = questions_of(event, kind)
    old = find_question(event, kind, key) if key is not None else None
    wanted = dict(data)
    wanted["key"] = key or new_key(current, _finnish(wanted.get("label")), "question")
    if "options" in wanted:
        wanted["options"] = with_values(wanted["options"], (old or {}).get("options") or [])
    try:
        clean: dict[str, Any] = _SCHEMAS[kind]().load(wanted)
    except ValidationError as error:
        errors = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise InvalidInput("Check these fields: " + ", ".join(sorted(map(str, errors))) + ".",
                           errors=errors) from error
    if old is None:
        current.append(clean)
    else:
        current[[q["key"] for q in current].index(clean["key"])] = clean
    _store(event, kind, current)
    return clean


def delete_question(session: Session, event_id: int, kind: str, key: str) -> None:
    """The question goes; answers already given stay in the registrations and feedback."""
    event = _editable(session, event_id)
    find_question(event, kind, key)
    _store(event, kind, [q for q in questions_of(event, kind) if q["key"] != key])


def move_question(session: Session, event_id: int, kind: str, key: str, step: int) -> None:
    """One place up (`step` -1) or down (+1); at the top or bottom it stays."""
    event = _editable(session, event_id)
    current = questions_of(event, kind)
    index = [q["key"] for q in current].index(find_question(event, kind, key)["key"])
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(current):
        current[index], current[target] = current[target], current[index]
        _store(event, kind, current)


def new_key(existing: Sequence[Mapping[str, Any]], label: str, fallback: str) -> str:
    """A key (schemas.KEY: lowercase letters, digits, - and _) made from the label, unique in `existing`."""
    taken = {str(item.get("key", item.get("value"))) for item in existing}
    base = slugify(label)[:KEY_LENGTH].strip("-")
    base = base if base and base != "event" else fallback
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[:KEY_LENGTH - len(suffix)].strip("-") + suffix
    return candidate


def with_values(options: Any, old_options: Sequence[Mapping[str, Any]]) -> Any:
    if not isinstance(options, list):
        return options
    by_label = {_finnish(o.get("label")): o["value"] for o in old_options}
    given: list[dict[str, Any]] = []
    for option in options:
        if not isinstance(option, Mapping):
            return options
        value = option.get("value") or by_label.get(_finnish(option.get("label"))) or new_key(
            [*old_options, *given], _finnish(option.get("label")), "option")
        given.append({**option, "value": value})
    return given


def _finnish(label: Any) -> str:
    return str(label.get("fi") or "") if isinstance(label, Mapping) else ""


def _known(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("There is no such list of questions.")
    return kind


def _editable(session: Session, event_id: int) -> Event:
    event = lock_event(session, event_id)
    if event.is_cancelled:
        raise Conflict("A cancelled event cannot be changed.")
    return event


def _store(event: Event, kind: str, questions: list[dict[str, Any]]) -> None:
    setattr(event, _FIELDS[kind], questions)  # a new list: the JSON column sees the change
    event.updated_at = utcnow()
