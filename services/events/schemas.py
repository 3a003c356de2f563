"""Schemas at the edges (API and pages alike): events in and out, registrations in and out, filters."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any

from dateutil.rrule import rrulestr
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    missing,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from services.events import links
from services.events.models import Event, EventKind, EventMode, Participation, Sector, Visibility
from shared.labels import SECTORS, THEMES
from shared.privacy import normalise_email
from shared.schemas import BodySchema, QuerySchema, StrictBoolean, StrictInteger, rule
from shared.settings import LANGUAGES

QUESTION_TYPES = ("text", "single", "multiple", "yes-no")
FEEDBACK_TYPES = ("rating", "text")
KEY = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", error="Use 1-40 lowercase letters, digits, - or _.")


class LocalisedText(Schema):
    fi = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    sv = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class OptionalLocalisedText(LocalisedText):
    fi = fields.String(load_default="", validate=validate.Length(max=20000))
    sv = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))


class ChoiceOption(Schema):
    value = fields.String(required=True, validate=KEY)
    label = fields.Nested(LocalisedText, required=True)


class Question(Schema):
    """A per-event registration question."""

    key = fields.String(required=True, validate=KEY)
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    label = fields.Nested(LocalisedText, required=True)
    required = StrictBoolean(load_default=False)
    options = fields.List(fields.Nested(ChoiceOption), load_default=list,
                          metadata=rule("A single or multiple choice question needs at least two options."))

    @validates_schema
    def _choices_have_options(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["type"] in ("single", "multiple") and len(data.get("options") or []) < 2:
            raise ValidationError("A choice question needs at least two options.", "options")


class FeedbackQuestion(Schema):
    key = fields.String(required=True, validate=KEY)
    type = fields.String(required=True, validate=validate.OneOf(FEEDBACK_TYPES))
    label = fields.Nested(LocalisedText, required=True)


def _enum_values(cls: Any) -> list[str]:
    return [member.value for member in cls]


class EventInput(BodySchema):
    """An event as the organiser writes it. Naive times are read in `timezone` (Europe/Helsinki)."""

    kind = fields.String(required=True, validate=validate.OneOf(_enum_values(EventKind)))
    title = fields.Nested(LocalisedText, required=True)
    description = fields.Nested(OptionalLocalisedText, load_default=dict)
    themes = fields.List(fields.String(validate=validate.OneOf(THEMES)), load_default=list)
    languages = fields.List(fields.String(validate=validate.OneOf(LANGUAGES)), load_default=lambda: ["fi"])
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True, metadata=rule("After starts_at."))
    timezone = fields.String(load_default="Europe/Helsinki",
                             metadata=rule("An IANA time zone name, such as Europe/Helsinki."))
    mode = fields.String(required=True, validate=validate.OneOf(_enum_values(EventMode)))
    address = fields.String(load_default="", validate=validate.Length(max=300),
                            metadata=rule("Required (not blank) when mode is onsite or hybrid."))
    online_url = fields.String(load_default="", validate=[
        validate.Length(max=500), validate.Regexp(r"^(https?://\S+)?$", error="Give a web address starting with https://.")])
    capacity = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000))
    onsite_capacity = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000))
    remote_capacity = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000))
    registration_opens_at = fields.DateTime(load_default=None, allow_none=True)
    registration_closes_at = fields.DateTime(load_default=None, allow_none=True)
    visibility = fields.String(load_default="public", validate=validate.OneOf(_enum_values(Visibility)))
    organiser_name = fields.String(load_default="", validate=validate.Length(max=200))
    organiser_email = fields.Email(load_default="")
    rrule = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                          metadata=rule("An RFC 5545 recurrence rule without the RRULE: prefix, e.g. "
                                        "FREQ=MONTHLY;BYDAY=2TU;COUNT=6."))
    exdates = fields.List(fields.Date(), load_default=list)
    questions = fields.List(fields.Nested(Question), load_default=list)
    feedback_questions = fields.List(fields.Nested(FeedbackQuestion), load_default=list)
    reminder_minutes = fields.List(StrictInteger(validate=validate.Range(min=5, max=60 * 24 * 30)),
                                   load_default=lambda: [2 * 24 * 60, 120])
    slug = fields.String(load_default=None, allow_none=True,
                         validate=validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Use a-z, 0-9 and -."))

    @validates("timezone")
    def _known_zone(self, value: str, **_kwargs: Any) -> None:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise ValidationError("Unknown time zone; use an IANA name such as Europe/Helsinki.") from error

    @validates("rrule")
    def _valid_rrule(self, value: str | None, **_kwargs: Any) -> None:
        if not value:
            return
        if value.upper().startswith("RRULE:") or "\n" in value:
            raise ValidationError("Give the rule without the RRULE: prefix, e.g. FREQ=MONTHLY;BYDAY=2TU;COUNT=6.")
        try:
            rrulestr(value, dtstart=dt.datetime(2026, 1, 1))  # noqa: DTZ001 - only checks the syntax
        except (ValueError, TypeError) as error:
            raise ValidationError(f"Not a valid recurrence rule: {error}") from error

    @post_load
    def _localise(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        zone = zoneinfo.ZoneInfo(data.get("timezone") or "Europe/Helsinki")
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            value = data.get(name)
            if isinstance(value, dt.datetime):
                data[name] = (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(dt.UTC)
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError({"ends_at": ["The end must be after the start."]})
        if data.get("mode") in ("onsite", "hybrid") and "address" in data and not data["address"].strip():
            raise ValidationError({"address": ["An on-site or hybrid event needs an address."]})
        if data.get("rrule"):
            data["rrule"] = data["rrule"].upper()
        if "exdates" in data:
            data["exdates"] = [day.isoformat() for day in data["exdates"]]
        return data


class EventUpdate(EventInput):
    """A partial update: only the fields given change."""

    class Meta(EventInput.Meta):
        pass

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class EventOut(Schema):
    id = fields.Integer()
    uid = fields.String()
    slug = fields.String()
    kind = fields.Function(lambda e: e.kind.value)
    title = fields.Dict()
    description = fields.Dict()
    themes = fields.List(fields.String())
    languages = fields.List(fields.String())
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    timezone = fields.String()
    mode = fields.Function(lambda e: e.mode.value)
    address = fields.String()
    capacity = fields.Integer(allow_none=True)
    onsite_capacity = fields.Integer(allow_none=True)
    remote_capacity = fields.Integer(allow_none=True)
    registration_opens_at = fields.DateTime(allow_none=True)
    registration_closes_at = fields.DateTime(allow_none=True)
    visibility = fields.Function(lambda e: e.visibility.value)
    organiser_name = fields.String()
    organiser_email = fields.String()
    rrule = fields.String(allow_none=True)
    exdates = fields.List(fields.String())
    questions = fields.List(fields.Dict())
    status = fields.Function(lambda e: e.status.value)
    sequence = fields.Integer()
    url = fields.Function(lambda e: links.event_url(e.slug))
    ics_url = fields.Function(lambda e: links.event_ics_url(e.slug))


class AdminEventOut(EventOut):
    online_url = fields.String()
    feedback_questions = fields.List(fields.Dict())
    reminder_minutes = fields.List(fields.Integer())


class EventFilter(QuerySchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(_enum_values(EventKind)))
    theme = fields.String(load_default=None, validate=validate.OneOf(THEMES))
    lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


# Field messages of a registration (English msgids; pages show them translated, the API as they are).
REQUIRED = "This field is required."
INVALID_EMAIL = "Enter an email address like name@example.fi."
TOO_LONG = "This is too long."
INVALID_CHOICE = "Choose one of the options."
GIVE_TEXT = "Give text here."
PARTICIPATION_NOT_OFFERED = "This event does not offer this way of taking part."
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Text(fields.String):
    """Free text: trimmed; absent or null counts as empty; `blank=False` requires some text."""

    def __init__(self, limit: int, *, blank: bool = True, **kwargs: Any) -> None:
        documented: dict[str, Any] = {"maxLength": limit, **({} if blank else {"pattern": r"\S"})}
        kwargs["metadata"] = {**documented, **kwargs.get("metadata", {})}
        super().__init__(required=not blank, **kwargs)  # documents it; absence is read as "" below
        self.limit = limit
        self.blank = blank

    def deserialize(self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> Any:
        return super().deserialize("" if value is None or value is missing else value, attr, data, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(GIVE_TEXT)
        text = value.strip()
        if not text and not self.blank:
            raise ValidationError(REQUIRED)
        if len(text) > self.limit:
            raise ValidationError(TOO_LONG)
        return text


def read_answers(questions: Sequence[Mapping[str, Any]], raw: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(answers by question key, errors named `answers.<key>`) for the event's own questions."""
    errors: dict[str, list[str]] = {}
    given: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if raw is not None and not isinstance(raw, Mapping):
        errors["answers"] = ["Give the answers as an object keyed by question."]
    for key in sorted(set(given) - {q["key"] for q in questions}):
        errors[f"answers.{key}"] = ["There is no such question."]
    answers: dict[str, Any] = {}
    for question in questions:
        options = [o["value"] for o in question.get("options") or []]
        answer, problem = _ANSWER_READERS[question["type"]](given.get(question["key"]), options)
        if problem:
            errors[f"answers.{question['key']}"] = [problem]
        elif answer is None and question.get("required"):
            errors[f"answers.{question['key']}"] = [REQUIRED]
        if answer is not None and not problem:
            answers[question["key"]] = answer
    return answers, errors


YES_NO = {True: True, False: False, "yes": True, "no": False, "true": True, "false": False}


def _text_answer(value: Any, _options: list[str]) -> tuple[Any, str | None]:
    if value is not None and not isinstance(value, str):
        return None, GIVE_TEXT
    text = (value or "").strip()
    return (None, TOO_LONG) if len(text) > 2000 else (text or None, None)


def _single_answer(value: Any, options: list[str]) -> tuple[Any, str | None]:
    return (None, INVALID_CHOICE) if value and value not in options else (value or None, None)


def _multiple_answer(value: Any, options: list[str]) -> tuple[Any, str | None]:
    chosen = [value] if isinstance(value, str) else list(value or [])
    if any(choice not in options for choice in chosen):
        return None, INVALID_CHOICE
    return [o for o in options if o in chosen] or None, None


def _yes_no_answer(value: Any, _options: list[str]) -> tuple[Any, str | None]:
    if value in (None, ""):
        return None, None
    answer = YES_NO.get(value) if isinstance(value, (bool, str)) else None
    return (None, INVALID_CHOICE) if answer is None else (answer, None)


_ANSWER_READERS = {"text": _text_answer, "single": _single_answer, "multiple": _multiple_answer,
                   "yes-no": _yes_no_answer}


class RegistrationInput(BodySchema):
    """A registration (API body or page form) for one event: `RegistrationInput(event=event).load(raw)`.

    The event decides the ways to take part (the only one is the default) and its own questions
    (errors named `answers.<key>`); the language defaults to `default_language`. Loads to the
    Registration's fields: texts trimmed, the address normalised, `participation` a Participation.
    """

    name = Text(200, blank=False)
    email = Text(254, blank=False, validate=validate.Regexp(EMAIL_PATTERN, error=INVALID_EMAIL),
                 metadata={"pattern": EMAIL_PATTERN.pattern})
    organisation = Text(200)
    sector = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SECTORS, error=INVALID_CHOICE),
                           metadata=rule("Where the person works (shared.labels.SECTOR_LABELS); optional here, "
                                         "required on the registration page."))
    participation = fields.Raw(error_messages={"null": REQUIRED},  # always given: see _defaults
                               metadata={"type": "string", "enum": [p.value for p in Participation],
                                         **rule("One of the event's ways to take part; may be left out when "
                                                "the event offers only one.")})
    language = fields.Raw(error_messages={"null": REQUIRED},
                          metadata={"type": "string", "enum": list(LANGUAGES)})
    dietary_needs = Text(1000)
    accessibility_needs = Text(1000)
    answers = fields.Raw(load_default=None, allow_none=True, metadata={
        "type": "object", **rule("Answers to the event's own questions, by question key: every required "
                                 "question answered, a choice answered with its options' values.")})

    def __init__(self, *, event: Event | None = None, default_language: str = "fi", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event = event
        self.default_language = default_language

    def _offered(self) -> list[Participation]:
        return self.event.ways_to_take_part() if self.event is not None else list(Participation)

    def _questions(self) -> list[dict[str, Any]]:
        return list(self.event.questions) if self.event is not None else []

    @pre_load
    def _defaults(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        offered = self._offered()
        return {**data, "participation": data.get("participation") or (offered[0].value if len(offered) == 1 else None),
                "language": data.get("language") or self.default_language, "sector": data.get("sector") or None}

    @validates("participation")
    def _offered_participation(self, value: Any, **_kwargs: Any) -> None:
        if value not in [p.value for p in Participation]:
            raise ValidationError(INVALID_CHOICE)
        if Participation(value) not in self._offered():
            raise ValidationError(PARTICIPATION_NOT_OFFERED)

    @validates("language")
    def _known_language(self, value: Any, **_kwargs: Any) -> None:
        if value not in LANGUAGES:
            raise ValidationError(INVALID_CHOICE)

    @validates_schema(skip_on_field_errors=False)
    def _answers_fit_the_questions(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _answers, errors = read_answers(self._questions(), data.get("answers"))
        if errors:
            raise ValidationError(errors)

    @post_load
    def _to_fields(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        answers, _errors = read_answers(self._questions(), data.get("answers"))
        return {**data, "email": normalise_email(data["email"]), "participation": Participation(data["participation"]),
                "language": str(data["language"]), "answers": answers,
                "sector": Sector(data["sector"]) if data.get("sector") else None}


class RegistrationAnswer(Schema):
    status = fields.String(metadata={"enum": ["pending", "confirmed", "waitlisted"]})
    event_id = fields.Integer()
    detail = fields.String()


class RegistrationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    organisation = fields.String()
    sector = fields.Function(lambda r: r.sector.value if r.sector else None, metadata={"enum": [*SECTORS, None]})
    participation = fields.Function(lambda r: r.participation.value)
    language = fields.String()
    dietary_needs = fields.String()
    accessibility_needs = fields.String()
    answers = fields.Dict()
    status = fields.Function(lambda r: r.status.value, metadata={
        "enum": ["pending", "confirmed", "waitlisted", "cancelled", "expired"]})
    hold_until = fields.DateTime(allow_none=True, metadata={"description": "When a pending seat is released"})
    address_confirmed_at = fields.DateTime(allow_none=True)
    queued_at = fields.DateTime()
    checked_in = fields.Boolean()
    created_at = fields.DateTime()


class RegistrationPatch(BodySchema):
    checked_in = StrictBoolean(required=True)
