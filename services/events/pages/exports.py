"""The workspace's downloads for people: registrations and feedback as CSV (shared.csvfile) and XLSX
(shared.spreadsheet), with headers and values in the page's language and times in Helsinki time.
The API's CSV keeps the stored values for programs (services/events/api.py)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response
from flask_babel import gettext as _

from services.events.models import db
from services.events.operations import events, feedback, reports
from shared.csvfile import csv_response
from shared.spreadsheet import readable_rows, xlsx_response
from shared.web import current_language

Table = tuple[list[str], list[list[object]]]


def add_routes(blueprint: Blueprint) -> None:
    for name in ("registrations", "feedback"):
        for kind in ("csv", "xlsx"):
            blueprint.add_url_rule(f"/events/<int:event_id>/{name}.{kind}", f"{name}_{kind}", _view(name, kind))


def registration_words() -> dict[str, str]:
    """Column names and values of the registrations file in the page's language."""
    return {
        "status": _("Status"), "queue_position": _("Place on the waiting list"), "name": _("Name"),
        "email": _("Email address"), "organisation": _("Organisation"), "sector": _("Sector"),
        "participation": _("Takes part"),
        "language": _("Language"), "dietary_needs": _("Dietary needs"),
        "accessibility_needs": _("Accessibility needs"), "checked_in": _("Arrived"),
        "registered_at": _("Registered at"), "hold_until": _("Seat held until"),
        "confirmed": _("Has a seat"), "waitlisted": _("On the waiting list"), "cancelled": _("Cancelled"),
        "pending": _("Seat held, not confirmed"), "expired": _("Hold expired"),
        "fi": _("Finnish"), "sv": _("Swedish"), "en": _("English"), "yes": _("Yes"), "no": _("No"),
    }


def _table(name: str, event_id: int) -> Table:
    session, language = db.session(), current_language()
    if name == "registrations":
        header, rows = reports.readable_registrations(session, event_id, language, registration_words())
    else:
        header, rows = feedback.readable_feedback(session, event_id, language, _("Answer number"))
    return header, list(rows)


def _title(name: str) -> str:
    return str(_("Registrations") if name == "registrations" else _("Feedback"))


def _view(name: str, kind: str) -> Callable[[int], Response]:
    def view(event_id: int) -> Response:
        event = events.get_event(db.session(), event_id)
        header, rows = _table(name, event_id)
        filename = f"{event.slug}-{name}.{kind}"
        if kind == "xlsx":
            return xlsx_response(filename, header, rows, title=_title(name))
        return csv_response(filename, header, readable_rows(rows, current_language()))
    view.__name__ = f"{name}_{kind}"
    return view
