"""Schemas at the HTTP edge (and for the admin pages): events in and out, registrations, filters."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from dateutil.rrule import rrulestr
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from services.events import links
from services.events.models import EventKind, EventMode, Visibility
from shared.labels import THEMES
from shared.schemas import BodySchema, QuerySchema
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
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.Nested(ChoiceOption), load_default=list)

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
    ends_at = fields.DateTime(required=True)
    timezone = fields.String(load_default="Europe/Helsinki")
    mode = fields.String(required=True, validate=validate.OneOf(_enum_values(EventMode)))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    online_url = fields.String(load_default="", validate=[
        validate.Length(max=500), validate.Regexp(r"^(https?://\S+)?$", error="Give a web address starting with https://.")])
    capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000))
    onsite_capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000))
    remote_capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000))
    registration_opens_at = fields.DateTime(load_default=None, allow_none=True)
    registration_closes_at = fields.DateTime(load_default=None, allow_none=True)
    visibility = fields.String(load_default="public", validate=validate.OneOf(_enum_values(Visibility)))
    organiser_name = fields.String(load_default="", validate=validate.Length(max=200))
    organiser_email = fields.Email(load_default="")
    rrule = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    exdates = fields.List(fields.Date(), load_default=list)
    questions = fields.List(fields.Nested(Question), load_default=list)
    feedback_questions = fields.List(fields.Nested(FeedbackQuestion), load_default=list)
    reminder_minutes = fields.List(fields.Integer(validate=validate.Range(min=5, max=60 * 24 * 30)),
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


class RegistrationInput(BodySchema):
    """The registration body; field rules live in `operations.clean_registration` (shared with the page)."""

    name = fields.Raw(load_default=None)
    email = fields.Raw(load_default=None)
    organisation = fields.Raw(load_default=None)
    participation = fields.Raw(load_default=None)
    language = fields.Raw(load_default=None)
    dietary_needs = fields.Raw(load_default=None)
    accessibility_needs = fields.Raw(load_default=None)
    answers = fields.Raw(load_default=None)


class RegistrationAnswer(Schema):
    status = fields.String()
    event_id = fields.Integer()
    detail = fields.String()


class RegistrationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    organisation = fields.String()
    participation = fields.Function(lambda r: r.participation.value)
    language = fields.String()
    dietary_needs = fields.String()
    accessibility_needs = fields.String()
    answers = fields.Dict()
    status = fields.Function(lambda r: r.status.value)
    queued_at = fields.DateTime()
    checked_in = fields.Boolean()
    created_at = fields.DateTime()


class RegistrationPatch(BodySchema):
    checked_in = fields.Boolean(required=True)


class PersonalDataRequest(BodySchema):
    email = fields.Email(required=True)
