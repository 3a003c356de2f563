"""The answers of the year reports' API (`GET /events/api/v1/reports/years/<year>` and its participants):
the shape the annual report composer (services.subscriptions) and shared.clients.events read."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.schemas import QuerySchema
from shared.settings import LANGUAGES


def counts(description: str = "") -> fields.Dict:
    """A count by key: {"seminar": 2, …}."""
    return fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": description})


class YearQuery(QuerySchema):
    lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES), metadata={
        "description": "The language of the event titles (default: the network's primary language)"})


class YearEvents(Schema):
    total = fields.Integer(metadata={"description": "Events held (not cancelled) that started in the year"})
    cancelled = fields.Integer(metadata={"description": "Cancelled events of the year, counted nowhere else"})
    by_kind = counts()
    by_mode = counts()
    by_theme = counts()


class YearRegistrations(Schema):
    total = fields.Integer(metadata={"description": "Every registration except expired unconfirmed holds"})
    confirmed = fields.Integer()
    attended = fields.Integer(metadata={"description": "Confirmed and marked arrived"})
    remote = fields.Integer(metadata={"description": "Confirmed, taking part remotely"})
    remote_share = fields.Float(metadata={"description": "remote / confirmed, 0 when none"})
    cancelled = fields.Integer()
    promoted_from_waiting_list = fields.Integer()


class OrganisationCount(Schema):
    organisation = fields.String()
    count = fields.Integer()


class EventFeedback(Schema):
    event_id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    starts_at = fields.String(metadata={"format": "date-time"})
    responses = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "Average of every 1-5 rating given"})


class ThemeFigures(Schema):
    events = fields.Integer()
    registrations = fields.Integer(metadata={"description": "Confirmed registrations of the theme's events"})
    attended = fields.Integer()


class YearFigures(Schema):
    """services.events.operations.year_figures explains every figure."""

    year = fields.Integer()
    events = fields.Nested(YearEvents)
    registrations = fields.Nested(YearRegistrations)
    participants_by_sector = counts("Confirmed registrations by sector; `unknown`: registered before the sector "
                                    "was asked")
    participants_by_organisation = fields.List(fields.Nested(OrganisationCount))
    feedback = fields.List(fields.Nested(EventFeedback))
    themes = fields.Dict(keys=fields.String(), values=fields.Nested(ThemeFigures))


class YearParticipant(Schema):
    email = fields.String()
    name = fields.String()
    language = fields.String()
