"""JSON API of the events service (flask-smorest): public list and registration, organiser admin,
personal data for the subscriptions service."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from services.events import privacy
from services.events.limits import limit_registrations
from services.events.models import Event, Registration, db
from services.events.operations import events, feedback, listing, registrations, reports, year_figures
from services.events.schemas import (
    AdminEventOut,
    EventFilter,
    EventInput,
    EventOut,
    EventUpdate,
    RegistrationAnswer,
    RegistrationInput,
    RegistrationOut,
    RegistrationPatch,
)
from services.events.year_schemas import YearFigures, YearParticipant, YearQuery
from shared.auth import SERVICE_ROLE, require_role
from shared.csvfile import csv_response
from shared.errors import NotFound
from shared.privacy import PersonalDataRequest, email_hash
from shared.schemas import QuerySchema

blp = Blueprint("events_api", __name__, url_prefix="/api/v1", description="Events, registrations and feedback")


class StatusFilter(QuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ("pending", "confirmed", "waitlisted", "cancelled", "expired")))


def _commit() -> None:
    db.session.commit()


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventFilter, location="query")
    @blp.response(200, EventOut(many=True))
    def get(self, filters: dict[str, Any]) -> list[Event]:
        """Upcoming public events, soonest first (the newsletter's "Upcoming events")."""
        return listing.upcoming_events(db.session(), kind=filters["kind"], theme=filters["theme"],
                                       language=filters["lang"], limit=filters["limit"])

    @require_role("organizer")
    @blp.arguments(EventInput)
    @blp.response(201, AdminEventOut)
    def post(self, data: dict[str, Any]) -> Event:
        """Create an event (organiser)."""
        event = events.create_event(db.session(), data)
        _commit()
        return event


@blp.route("/events/<int:event_id>")
class EventItem(MethodView):
    @require_role("organizer")
    @blp.response(200, AdminEventOut)
    def get(self, event_id: int) -> Event:
        """One event with its organiser-only fields."""
        return events.get_event(db.session(), event_id)

    @require_role("organizer")
    @blp.arguments(EventUpdate)
    @blp.response(200, AdminEventOut)
    def patch(self, changes: dict[str, Any], event_id: int) -> Event:
        """Change an event; a new time or place raises SEQUENCE and notifies the registered."""
        event = events.update_event(db.session(), event_id, changes)
        _commit()
        return event


@blp.route("/events/<int:event_id>/cancel")
class EventCancel(MethodView):
    @require_role("organizer")
    @blp.response(200, AdminEventOut)
    def post(self, event_id: int) -> Event:
        """Cancel an event: it stays in the feeds as STATUS:CANCELLED; the registered are told."""
        event = events.cancel_event(db.session(), event_id)
        _commit()
        return event


@blp.route("/events/<int:event_id>/registrations")
class EventRegistrations(MethodView):
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": RegistrationInput}}})
    @blp.response(201, RegistrationAnswer)
    def post(self, event_id: int) -> dict[str, Any]:
        """Register: `pending` (a seat held until the address is confirmed from the email; unconfirmed
        it goes to the next person after ELO_REGISTRATION_HOLD_MINUTES), `confirmed` (a seat: the address
        was confirmed before) or `waitlisted`. The same address again keeps its place and
        gets a fresh email. The body is checked (RegistrationInput) once the event is
        known to be open, against its ways to take part and its questions."""
        body = request.get_json(silent=True)
        body = {} if body is None else body
        limit_registrations(body.get("email") if isinstance(body, dict) else None)
        outcome = registrations.register(db.session(), event_id, body, secret_key=current_app.config["SECRET_KEY"],
                                         default_language=_request_language())
        status = outcome.registration.status.value
        _commit()
        detail = {"pending": "A seat is reserved for you. Confirm your registration from the link we sent by email.",
                  "confirmed": "You have a seat. We sent a confirmation by email."}.get(
            status, "The event is full. You are on the waiting list; we sent a notice by email.")
        return {"status": status, "event_id": event_id, "detail": detail}

    @require_role("organizer")
    @blp.arguments(StatusFilter, location="query")
    @blp.response(200, RegistrationOut(many=True))
    def get(self, filters: dict[str, Any], event_id: int) -> list[Registration]:
        """Registrations in queue order (organiser)."""
        return reports.list_registrations(db.session(), event_id, filters["status"])


def _request_language() -> str:
    best = request.accept_languages.best_match(("fi", "sv", "en"))
    return best or str(current_app.config.get("PRIMARY_LANGUAGE", "fi"))


# Views that answer with a CSV file or a free-form summary document their 200 here (flask-smorest
# documents only what passes through @blp.response).
CSV_RESPONSE = {"200": {"description": "A CSV file (shared.csvfile: UTF-8 with BOM, `;`, formula-safe cells)",
                        "content": {"text/csv": {"schema": {"type": "string"}}}}}
JSON_OBJECT_RESPONSE = {"200": {"description": "A summary",
                                "content": {"application/json": {"schema": {"type": "object"}}}}}


@blp.route("/events/<int:event_id>/registrations.csv")
@blp.doc(responses=CSV_RESPONSE)
@require_role("organizer")
def registrations_csv(event_id: int) -> Response:
    """Registrations as CSV (opens in Excel)."""
    return csv_response(f"registrations-{event_id}.csv", *reports.registrations_table(db.session(), event_id))


@blp.route("/events/<int:event_id>/counts")
@blp.doc(responses=JSON_OBJECT_RESPONSE)
@require_role("organizer")
def registration_counts(event_id: int) -> dict[str, Any]:
    """Counts by status, participation mode and organisation."""
    return reports.registration_counts(db.session(), event_id)


@blp.route("/events/<int:event_id>/feedback")
@blp.doc(responses=JSON_OBJECT_RESPONSE)
@require_role("organizer")
def feedback_summary(event_id: int) -> dict[str, Any]:
    """Anonymous feedback summary."""
    return feedback.feedback_summary(db.session(), event_id)


@blp.route("/events/<int:event_id>/feedback.csv")
@blp.doc(responses=CSV_RESPONSE)
@require_role("organizer")
def feedback_csv(event_id: int) -> Response:
    """Anonymous feedback as CSV (opens in Excel)."""
    return csv_response(f"feedback-{event_id}.csv", *feedback.feedback_table(db.session(), event_id))


@blp.route("/registrations/<int:registration_id>")
class RegistrationItem(MethodView):
    @require_role("organizer")
    @blp.arguments(RegistrationPatch)
    @blp.response(200, RegistrationOut)
    def patch(self, data: dict[str, Any], registration_id: int) -> Registration:
        """Set the check-in flag."""
        registration = registrations.set_checked_in(db.session(), registration_id, data["checked_in"])
        _commit()
        return registration


@blp.route("/registrations/<int:registration_id>/promote")
class RegistrationPromote(MethodView):
    @require_role("organizer")
    @blp.response(200, RegistrationOut)
    def post(self, registration_id: int) -> Registration:
        """Give a waiting person a seat by hand."""
        registration = registrations.promote(db.session(), registration_id)
        _commit()
        return registration


@blp.route("/registrations/<int:registration_id>/confirm")
class RegistrationConfirm(MethodView):
    @require_role("organizer")
    @blp.response(200, RegistrationOut)
    def post(self, registration_id: int) -> Registration:
        """Confirm a pending registration by hand (the person confirmed it by phone, say): the held
        seat becomes confirmed and the person gets the confirmation email. 409 unless pending."""
        registration = registrations.confirm_address(db.session(), registration_id, by_organiser=True)
        _commit()
        return registration


@blp.route("/registrations/<int:registration_id>/cancel")
class RegistrationCancel(MethodView):
    @require_role("organizer")
    @blp.response(200, RegistrationOut)
    def post(self, registration_id: int) -> Registration:
        """Cancel a registration for the person; a freed seat goes to the waiting list."""
        registration = registrations.cancel_registration(db.session(), registration_id)
        _commit()
        return registration


@blp.route("/reports/years/<int:year>")
class YearReport(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.arguments(YearQuery, location="query")
    @blp.response(200, YearFigures)
    def get(self, query: dict[str, Any], year: int) -> dict[str, Any]:
        """The network's year in events for the annual report: events by kind, mode and theme,
        registrations, attendance, the remote share, cancellations, promotions from the waiting list,
        participants by sector and organisation, feedback per event and the strategy themes (coordinator,
        or the subscriptions service composing the report)."""
        language = query["lang"] or str(current_app.config.get("PRIMARY_LANGUAGE", "fi"))
        return year_figures.year_figures(db.session(), _known_year(year), language)


@blp.route("/reports/years/<int:year>/participants")
class YearParticipants(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.response(200, YearParticipant(many=True))
    def get(self, year: int) -> list[dict[str, str]]:
        """The people with a seat at an event held in the year, once per address (coordinator, or the
        subscriptions service: the survey's audience "this year's event participants")."""
        return year_figures.year_participants(db.session(), _known_year(year))


def _known_year(year: int) -> int:
    if not year_figures.FIRST_YEAR <= year <= year_figures.LAST_YEAR:
        raise NotFound("There is no such year in the reports.")
    return year


@blp.route("/personal-data/export")
class PersonalDataExport(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.arguments(PersonalDataRequest)
    @blp.response(200)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Everything held about an address, or the address with this keyed hash (for "my data")."""
        address_hash = data.get("email_hash") or email_hash(current_app.config["SECRET_KEY"], data["email"])
        return {"service": "events", "data": privacy.export_by_hash(db.session(), address_hash)}


@blp.route("/personal-data/lookup")
class PersonalDataLookup(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.arguments(PersonalDataRequest)
    @blp.response(200)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Whether anything is held about the address (so a "my data" link is mailed only where there is data)."""
        address_hash = data.get("email_hash") or email_hash(current_app.config["SECRET_KEY"], data["email"])
        return {"service": "events", "holds": privacy.holds_personal_data(db.session(), address_hash)}
