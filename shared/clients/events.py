"""Typed client for the events service: the calls other services make to it.

    from shared.clients.events import EventsClient
    from shared.clients import ServiceCallFailed

    events = EventsClient()
    try:
        upcoming = events.upcoming_events(limit=5)          # public, no token
        exported = events.export_personal_data("anna@example.fi")  # service token
        exported = events.export_personal_data(email_hash=hashed)   # or by shared.privacy.email_hash
        held = events.holds_personal_data(email_hash=hashed)        # True when any registration is held
    figures = events.year_figures(2025)                         # service token: the annual report's events part
    people = events.year_participants(2025)                     # [{"email", "name", "language"}], one per address
    except ServiceCallFailed:
        ...  # events did not answer, answered with an error, or with an unexpected body

    upcoming[0]["title"]["fi"], upcoming[0]["starts_at"], upcoming[0]["url"]
    exported["service"] == "events"; exported["data"]["registrations"], exported["data"]["feedback"]

Times stay ISO 8601 strings (as sent), so an answer can be stored as JSON unchanged. The year figures'
keys are explained in services.events.operations.year_figures; titles come in `language` (default: the
network's primary language).
"""

from __future__ import annotations

from typing import Any, TypedDict, cast
from urllib.parse import urlencode

from marshmallow import INCLUDE, fields

from shared.clients import AnswerSchema
from shared.clients.personal_data import PersonalDataCalls

__all__ = ["EventsClient", "UpcomingEvent", "UpcomingEventAnswer", "YearParticipant"]

UPCOMING_TIMEOUT = 3.0  # seconds: the newsletter composes without the section rather than wait


class UpcomingEvent(TypedDict):
    """One public upcoming event as `GET /events/api/v1/events` lists it (the fields callers use)."""

    id: int
    slug: str
    kind: str
    title: dict[str, str | None]
    starts_at: str
    ends_at: str
    mode: str
    address: str
    status: str
    url: str
    ics_url: str


class UpcomingEventAnswer(AnswerSchema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    kind = fields.String(load_default="")
    title = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(load_default="")
    mode = fields.String(load_default="")
    address = fields.String(load_default="")
    status = fields.String(load_default="")
    url = fields.String(required=True)
    ics_url = fields.String(load_default="")


class PersonalData(AnswerSchema):
    """What events holds about an address. Kept whole (unknown keys included): it is the person's export."""

    class Meta:
        unknown = INCLUDE

    registrations = fields.List(fields.Dict(), required=True)
    feedback = fields.List(fields.Dict(), required=True)


class YearFiguresAnswer(AnswerSchema):
    """`GET /events/api/v1/reports/years/<year>`: the parts are checked, their insides kept as sent."""

    class Meta:
        unknown = INCLUDE

    year = fields.Integer(required=True)
    events = fields.Dict(required=True)
    registrations = fields.Dict(required=True)
    participants_by_sector = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    participants_by_organisation = fields.List(fields.Dict(), required=True)
    feedback = fields.List(fields.Dict(), required=True)
    themes = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)


class YearParticipant(TypedDict):
    """One person with a seat at an event of the year (`GET /events/api/v1/reports/years/<year>/participants`)."""

    email: str
    name: str
    language: str


class YearParticipantAnswer(AnswerSchema):
    email = fields.String(required=True)
    name = fields.String(load_default="")
    language = fields.String(load_default="fi")


class EventsClient(PersonalDataCalls):
    """`EventsClient().upcoming_events(limit=5)`, `EventsClient().export_personal_data(email)`."""

    service = "events"
    held = PersonalData

    def upcoming_events(self, limit: int) -> list[UpcomingEvent]:
        """Upcoming public events, soonest first (unauthenticated, like any visitor)."""
        path = f"/api/v1/events?{urlencode({'limit': limit})}"
        response = self.request("GET", path, authenticated=False, timeout=UPCOMING_TIMEOUT)
        return cast("list[UpcomingEvent]", self.load(UpcomingEventAnswer(), response.body, many=True))

    def year_figures(self, year: int, language: str | None = None) -> dict[str, Any]:
        """The network's year in events for the annual report (service token)."""
        path = f"/api/v1/reports/years/{year}" + (f"?{urlencode({'lang': language})}" if language else "")
        response = self.request("GET", path)
        return cast("dict[str, Any]", self.load(YearFiguresAnswer(), response.body))

    def year_participants(self, year: int) -> list[YearParticipant]:
        """The people with a seat at an event held in the year, one per address (service token)."""
        response = self.request("GET", f"/api/v1/reports/years/{year}/participants")
        return cast("list[YearParticipant]", self.load(YearParticipantAnswer(), response.body, many=True))
