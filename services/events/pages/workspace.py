"""The organiser's workspace at /events/admin/: events, registrations with the waiting list,
check-in, CSV export and the feedback summary. Forms are checked with the API's own schema
(EventInput), so the page and the API accept exactly the same events. Thin: one use-case, commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from services.events.models import Event, EventKind, EventMode, RegistrationStatus, db
from services.events.operations import events, feedback, reports, seats
from services.events.pages import checkin, exports, feedback_requests, questions
from services.events.schemas import EventInput, EventUpdate
from shared.charts import bars
from shared.db import utcnow
from shared.errors import DomainError
from shared.form_messages import field_message
from shared.formatting import HELSINKI, format_number
from shared.labels import EVENT_KIND_LABELS, THEMES, kind_label, mode_label, theme_label
from shared.settings import LANGUAGES
from shared.web import current_language
from shared.web_auth import admin_blueprint, init_admin

BLUEPRINT = "events_admin"
TEXT_FIELDS = ("title", "description")
PLAIN_FIELDS = ("kind", "mode", "address", "online_url", "visibility", "organiser_name", "organiser_email")
NUMBER_FIELDS = ("capacity", "onsite_capacity", "remote_capacity")
TIME_FIELDS = ("starts_at", "ends_at", "registration_closes_at")


def register(app: Flask) -> None:
    blueprint = admin_blueprint(BLUEPRINT, __name__, roles=("organizer",), home_endpoint="dashboard")
    add_routes(blueprint)
    questions.add_routes(blueprint)
    feedback_requests.add_routes(blueprint)
    init_admin(app, blueprint)


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "dashboard", dashboard)
    blueprint.add_url_rule("/events/new", "event_new", new_event, methods=["GET", "POST"])
    blueprint.add_url_rule("/events/<int:event_id>", "event", event_page)
    blueprint.add_url_rule("/events/<int:event_id>/edit", "event_edit", edit_event, methods=["GET", "POST"])
    blueprint.add_url_rule("/events/<int:event_id>/cancel", "event_cancel", cancel_event, methods=["GET", "POST"])
    blueprint.add_url_rule("/events/<int:event_id>/feedback", "feedback", feedback_page)
    checkin.add_routes(blueprint)
    exports.add_routes(blueprint)


# --- labels ----------------------------------------------------------------------------------------

def registration_status_labels() -> dict[str, str]:
    return {"confirmed": _("Has a seat"), "waitlisted": _("On the waiting list"), "cancelled": _("Cancelled"),
            "pending": _("Seat held, not confirmed"), "expired": _("Hold expired")}


def labels() -> dict[str, Any]:
    """Names of kinds, modes and themes (shared.labels) and of statuses, in the page's language."""
    language = current_language()
    return {"kinds": {key: kind_label(key, language) for key in EVENT_KIND_LABELS},
            "modes": {key: mode_label(key, language) for key in (m.value for m in EventMode)},
            "themes": {key: theme_label(key, language) for key in THEMES},
            "statuses": registration_status_labels(),
            "participation": {key: mode_label(key, language) for key in ("onsite", "remote")}}


# --- pages -----------------------------------------------------------------------------------------

def dashboard() -> str:
    session = db.session()
    now = utcnow()
    everything = list(session.scalars(select(Event).order_by(Event.starts_at)))
    upcoming = [e for e in everything if e.ends_at >= now]
    past = [e for e in everything if e.ends_at < now][::-1]
    counts = {e.id: seats.seats(session, e.id) for e in everything}
    return render_template("events/workspace/dashboard.html", upcoming=upcoming, past=past, counts=counts,
                           language=current_language(), **labels())


def event_page(event_id: int) -> str:
    session = db.session()
    event = events.get_event(session, event_id)
    registrations = reports.list_registrations(session, event_id)
    waiting = seats.waiting_list(session, event_id)
    return render_template("events/workspace/event.html", event=event, seats=seats.seats(session, event_id),
                           confirmed=[r for r in registrations if r.status is RegistrationStatus.CONFIRMED],
                           pending=[r for r in registrations if r.status is RegistrationStatus.PENDING],
                           waiting=waiting,
                           cancelled=[r for r in registrations
                                      if r.status in (RegistrationStatus.CANCELLED, RegistrationStatus.EXPIRED)],
                           language=current_language(), **labels())


def new_event() -> str | BaseResponse | tuple[str, int]:
    values = _form_values() if request.method == "POST" else _defaults()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        session = db.session()
        try:
            event = events.create_event(session, EventInput().load(_to_input(values)))
        except ValidationError as error:
            errors = _flat_errors(error.messages)
        except DomainError as error:
            session.rollback()
            errors = _flat_errors(error.errors or {"title_fi": [error.detail]})
        else:
            session.commit()
            flash(_("The event is created and shown in the calendar."), "success")
            return redirect(url_for(".event", event_id=event.id))
    return render_template("events/workspace/event_form.html", event=None, values=values, errors=errors,
                           languages=LANGUAGES, theme_keys=THEMES, **labels()), 422 if errors else 200


def edit_event(event_id: int) -> str | BaseResponse | tuple[str, int]:
    session = db.session()
    event = events.get_event(session, event_id)
    values = _form_values() if request.method == "POST" else _values_of(event)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            events.update_event(session, event_id, EventUpdate().load(_to_input(values)))
        except ValidationError as error:
            errors = _flat_errors(error.messages)
        except DomainError as error:
            session.rollback()
            errors = _flat_errors(error.errors or {"title_fi": [error.detail]})
        else:
            session.commit()
            flash(_("The changes are saved. People who registered are told if the time or place changed."), "success")
            _warn_over_capacity(event)
            return redirect(url_for(".event", event_id=event_id))
    return render_template("events/workspace/event_form.html", event=event, values=values, errors=errors,
                           languages=LANGUAGES, theme_keys=THEMES, **labels()), 422 if errors else 200


def _warn_over_capacity(event: Event) -> None:
    texts = {
        "capacity": _("%(taken)s people have a seat, more than the new capacity of %(limit)s."),
        "onsite_capacity": _("%(taken)s people have an on-site seat, more than the new on-site capacity of %(limit)s."),
        "remote_capacity": _("%(taken)s people have a remote seat, more than the new remote capacity of %(limit)s."),
    }
    for name, taken, limit in seats.over_capacity(event, seats.seats(db.session(), event.id)):
        flash(texts[name] % {"taken": taken, "limit": limit} + " "
              + _("Everyone keeps their seat. New registrations go to the waiting list."), "warning")


def cancel_event(event_id: int) -> str | BaseResponse:
    session = db.session()
    event = events.get_event(session, event_id)
    if request.method == "POST":
        events.cancel_event(session, event_id)
        session.commit()
        flash(_("The event is cancelled. Everyone who registered gets an email."), "success")
        return redirect(url_for(".event", event_id=event_id))
    return render_template("events/workspace/cancel.html", event=event, seats=seats.seats(session, event_id),
                           language=current_language())


def feedback_page(event_id: int) -> str:
    session = db.session()
    event = events.get_event(session, event_id)
    summary = feedback.feedback_summary(session, event_id)
    language = current_language()
    for question in summary["questions"]:
        question["text"] = question["label"].get(language) or question["label"].get("fi", question["key"])
        if question["type"] == "rating":
            question["bars"] = bars((str(n), question["distribution"][str(n)]) for n in range(1, 6))
            if question["average"] is not None:  # 4,2 in fi and sv
                question["average_text"] = format_number(question["average"], language, decimals=1)
    return render_template("events/workspace/feedback.html", event=event, summary=summary, language=language)


# --- the event form --------------------------------------------------------------------------------

def _defaults() -> dict[str, Any]:
    start = (utcnow() + dt.timedelta(days=30)).astimezone(HELSINKI).replace(hour=9, minute=0, second=0, microsecond=0)
    return {"kind": EventKind.TRAINING.value, "mode": EventMode.HYBRID.value, "visibility": "public",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "languages": ["fi"], "themes": []}


def _form_values() -> dict[str, Any]:
    form = request.form
    names = (*PLAIN_FIELDS, *NUMBER_FIELDS, *TIME_FIELDS)
    values: dict[str, Any] = {name: form.get(name, "").strip() for name in names}
    for name in TEXT_FIELDS:
        for language in LANGUAGES:
            values[f"{name}_{language}"] = form.get(f"{name}_{language}", "").strip()
    values["themes"] = form.getlist("themes")
    values["languages"] = form.getlist("languages")
    return values


def _values_of(event: Event) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(event, name) or "" for name in ("address", "online_url", "organiser_name",
                                                                            "organiser_email")}
    values.update(kind=event.kind.value, mode=event.mode.value, visibility=event.visibility.value,
                  themes=list(event.themes), languages=list(event.languages))
    for name in NUMBER_FIELDS:
        number = getattr(event, name)
        values[name] = "" if number is None else str(number)
    for name in TIME_FIELDS:
        moment = getattr(event, name)
        values[name] = moment.astimezone(HELSINKI).strftime("%Y-%m-%dT%H:%M") if moment else ""
    for name in TEXT_FIELDS:
        for language in LANGUAGES:
            values[f"{name}_{language}"] = (getattr(event, name) or {}).get(language) or ""
    return values


def _to_input(values: dict[str, Any]) -> dict[str, Any]:
    """Form values → the API's EventInput body (blank optional fields left out)."""
    data: dict[str, Any] = {name: values[name] for name in PLAIN_FIELDS if values.get(name)}
    for name in NUMBER_FIELDS:  # the API takes JSON integers only: a form's digits become one
        raw = str(values.get(name) or "").strip()
        data[name] = int(raw) if raw.isascii() and raw.isdigit() else (raw or None)
    for name in TIME_FIELDS:
        if values.get(name):
            data[name] = values[name]
    data["title"] = {language: values[f"title_{language}"] for language in LANGUAGES
                     if values.get(f"title_{language}") or language == "fi"}
    data["description"] = {language: values[f"description_{language}"] for language in LANGUAGES
                           if values.get(f"description_{language}")}
    data["themes"] = values.get("themes") or []
    data["languages"] = values.get("languages") or ["fi"]
    return data


def _flat_errors(messages: Any) -> dict[str, list[str]]:
    """{"title": {"fi": [...]}} → {"title_fi": [...]}: one entry per form field."""
    flat: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    for name, value in messages.items():
        if isinstance(value, dict) and name in TEXT_FIELDS:
            for language, inner in value.items():
                flat[f"{name}_{language}"] = _messages(inner)
        else:
            flat[str(name)] = _messages(value)
    return flat


def _messages(value: Any) -> list[str]:
    """The schema's English messages, translated when the catalogue knows them."""
    if isinstance(value, list):
        return [field_message(str(item)) for item in value]
    if isinstance(value, dict):
        return [item for inner in value.values() for item in _messages(inner)]
    return [field_message(str(value))]
