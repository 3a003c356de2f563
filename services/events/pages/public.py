"""Public pages: the events list, the year calendar, an event with its registration form, the
person's own registration (cancel) and the feedback form. Thin: read the form, one use-case, commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from services.events import links, national
from services.events.emails import sees_online_link
from services.events.limits import limit_registrations
from services.events.models import Event, EventKind, Registration, db
from services.events.operations import events, feedback, listing, registrations, seats
from services.events.pages import copies
from shared.db import utcnow
from shared.errors import DomainError, Gone, InvalidInput, NotFound
from shared.form_messages import field_message
from shared.formatting import local
from shared.labels import SECTORS, THEMES, kind_label, mode_label, sector_label, theme_label
from shared.plain_language import page_template
from shared.settings import LANGUAGES
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language

PAGE_SIZE = 30
MONTHS = {"fi": ["tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu", "elokuu",
                 "syyskuu", "lokakuu", "marraskuu", "joulukuu"],
          "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
                 "november", "december"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"]}
FORM_FIELDS = ("name", "email", "organisation", "sector", "participation", "language", "dietary_needs",
               "accessibility_needs")


def add_routes(app: Flask) -> None:
    app.add_template_filter(theme_names)
    app.context_processor(page_helpers)
    app.add_url_rule("/", "index", index)
    app.add_url_rule("/year/<int:year>", "year", year_view)
    app.add_url_rule("/registrations/<token>", "registration", registration_page, methods=["GET", "POST"])
    app.add_url_rule("/registrations/<token>/confirm", "confirm_registration", confirm_page, methods=["GET", "POST"])
    app.add_url_rule("/feedback/<token>", "feedback", feedback_page, methods=["GET", "POST"])
    app.add_url_rule("/<slug>", "event", event_page, methods=["GET", "POST"])


# --- helpers for templates -------------------------------------------------------------------------

def theme_names(keys: list[str]) -> str:
    language = current_language()
    return ", ".join(theme_label(key, language) for key in keys)


def page_helpers() -> dict[str, Any]:
    language = current_language()
    return {
        "text_of": lambda event, field: event.text(field, language),
        "label_of": lambda labels: (labels or {}).get(language) or (labels or {}).get("fi", ""),
        "theme_label": lambda key: theme_label(key, language),
        "kind_label": lambda key: kind_label(key, language),
        "mode_label": lambda key: mode_label(key, language),
        "sector_label": lambda key: sector_label(key, language),
        "status_label": status_label,
        "availability_status": availability_status,
        "theme_keys": THEMES,
    }


def status_label(status: str) -> str:
    labels = {"confirmed": _("You have a seat."), "waitlisted": _("You are on the waiting list."),
              "cancelled": _("Your registration is cancelled."),
              "pending": _("A seat is reserved for you. Confirm your registration from the link in the email."),
              "expired": _("The reserved seat was released because the registration was not confirmed in time.")}
    return str(labels.get(status, status))


def availability_status(item: seats.Availability) -> str:
    """The free seats as words, never colour alone: "3 seats left", "full, waiting list"."""
    if item.seats_left is None:
        return str(_("places available"))
    if item.full:
        return str(_("full – waiting list"))  # noqa: RUF001 - the dash of the visible text
    return str(_("1 seat left") if item.seats_left == 1 else _("%(count)s seats left", count=item.seats_left))


def open_availability(session: Any, shown: list[Event]) -> dict[int, list[seats.Availability]]:
    """Availability of the events open for registration (the others show none)."""
    open_events = [event for event in shown if registrations.registration_is_open(event)]
    return seats.availability_by_event(session, open_events)


# --- listing -------------------------------------------------------------------------------------

def _page_number(raw: str | None) -> int:
    """A page number from the address; anything odd is the first page, too large the last."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 10_000 else 1


def index() -> str:
    if national.is_national_view():
        return national_index()
    kind = request.args.get("kind") or None
    theme = request.args.get("theme") or None
    language = request.args.get("in") or None
    kind = kind if kind in [k.value for k in EventKind] else None
    theme = theme if theme in THEMES else None
    language = language if language in LANGUAGES else None
    session = db.session()

    def compose() -> tuple[list[Event], int, int]:
        matching = listing.upcoming_stamps(session, kind=kind, theme=theme, language=language)
        pages = max(1, -(-len(matching) // PAGE_SIZE))
        page = min(_page_number(request.args.get("page")), pages)
        ids = [row.id for row in matching[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
        return listing.events_by_ids(session, ids), page, pages

    # Served from a rendered copy while no event and no count of seats shown has changed (pages.copies).
    composed, marker, loaded = copies.list_page(session, (kind, theme, language, request.args.get("page")), compose,
                                                registrations.registration_is_open)
    rows = seats.seat_rows(session, composed.open_ids)

    def render() -> str:
        shown = loaded if loaded is not None else listing.events_by_ids(session, list(composed.ids))
        year = utcnow().year
        filters: dict[str, Any] = {"kind": kind, "theme": theme, "in": language}
        page_language = current_language()
        return render_template(
            "events/index.html", events=shown, availability=copies.availability(shown, rows),
            kind=kind, theme=theme, event_language=language, page=composed.page, pages=composed.pages,
            page_url=lambda number: url_for("index", page=number, **filters),
            kind_options=[(k.value, kind_label(k.value, page_language)) for k in EventKind],
            theme_options=[(t, theme_label(t, page_language)) for t in THEMES],
            year_url=url_for("year", year=year), year=year, feed_url=f"{links.base_url()}/events/calendar.ics")

    return copies.serve(("list", marker, composed, copies.seat_key(rows)), composed.expires_at, render)


def national_index() -> str:
    """Every network's upcoming public events, each with its organising network; filters as the list of one
    network, and by network and mode. Unknown filter values are ignored, like on the one-network list."""
    args = request.args
    slug = args.get("network") or None
    slug = slug if slug and not national.unknown_slugs([slug]) else None
    filters = national.Filters(kind=_known(args.get("kind"), [k.value for k in EventKind]),
                               theme=_known(args.get("theme"), THEMES), language=_known(args.get("in"), LANGUAGES),
                               mode=_known(args.get("mode"), national.MODES))
    chosen = national.organisers([slug] if slug else [])
    composed, shown = _national_page(chosen, filters, args.get("page"))
    seat_key = national.seat_key(chosen, composed.open_items)
    page, pages = composed.page, composed.pages
    chosen_filters: dict[str, Any] = {"network": slug, "kind": filters.kind, "theme": filters.theme,
                                      "in": filters.language, "mode": filters.mode}
    feed_filters = {"network": slug, "kind": filters.kind, "theme": filters.theme, "lang": filters.language,
                    "mode": filters.mode}
    language = current_language()

    def render() -> str:
        return render_template(
            "events/national.html", listed=shown or national.listed(chosen, composed.items), filters=chosen_filters,
            page=page, pages=pages, page_url=lambda number: url_for("index", page=number, **chosen_filters),
            network_options=[(organiser.slug, organiser.name_in(language)) for organiser in national.organisers()],
            kind_options=[(k.value, kind_label(k.value, language)) for k in EventKind],
            theme_options=[(t, theme_label(t, language)) for t in THEMES],
            mode_options=[(mode, mode_label(mode, language)) for mode in national.MODES],
            feed_url=f"{links.base_url()}/events/calendar.ics" + _query(feed_filters))

    return copies.serve(("national", composed, seat_key), composed.expires_at, render)


def _national_page(chosen: list[national.Organiser], filters: national.Filters,
                   raw_page: str | None) -> tuple[national.NationalPage, list[national.Listed] | None]:
    """Which events the page shows, kept while no chosen network's events change (their markers); the
    listed events when composed just now."""
    now = utcnow()
    key = ("national", tuple(str(marker) for marker in national.markers(chosen)), filters, raw_page,
           tuple(organiser.slug for organiser in chosen))
    found: national.NationalPage | None = copies.compositions.get(key, now)
    if found is not None:
        return found, None
    matching = national.upcoming(chosen, filters)
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(_page_number(raw_page), pages)
    items = matching[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    shown = national.listed(chosen, items)
    position_of = {organiser.slug: position for position, organiser in enumerate(chosen)}
    open_items = tuple((position_of[listed.organiser.slug], listed.event.id) for listed in shown
                       if registrations.registration_is_open(listed.event))
    composed = national.NationalPage(tuple(items), open_items, page, pages,
                                     copies.expiry([listed.event for listed in shown], now))
    copies.compositions.put(key, composed, composed.expires_at)
    return composed, shown


def _known(value: str | None, allowed: Sequence[str]) -> str | None:
    return value if value in allowed else None


def _query(params: dict[str, str | None]) -> str:
    given = {name: value for name, value in params.items() if value}
    return "?" + urlencode(given) if given else ""


def year_view(year: int) -> str:
    if not 2000 <= year <= 2100:
        raise NotFound("There is no such year in the calendar.")
    found = listing.events_in_year(db.session(), year)
    language = current_language()
    months: list[tuple[str, list[Event]]] = [(MONTHS[language][m], []) for m in range(12)]
    for event in found:
        months[local(event.starts_at).month - 1][1].append(event)
    return render_template("events/year.html", year=year, months=months)


# --- event page and registration -----------------------------------------------------------------

def event_page(slug: str) -> tuple[str, int]:
    event = events.event_by_slug(db.session(), slug)
    if request.method == "POST":
        return _register_from_form(event)
    # Served from a rendered copy while the event and its seats stay as they were (pages.copies).
    rows = seats.seat_rows(db.session(), [event.id] if registrations.registration_is_open(event) else [])
    key = ("event", event.id, event.sequence, event.updated_at, copies.seat_key(rows))
    return copies.serve(key, copies.expiry([event], utcnow()), lambda: _render_event(event, form={}, errors={})), 200


def _render_event(event: Event, *, form: dict[str, Any], errors: dict[str, list[str]]) -> str:
    language = current_language()
    available = open_availability(db.session(), [event]).get(event.id, [])
    ics_url = links.event_ics_url(event.slug)
    return render_template(
        page_template("events/event.html", "event"), event=event, form=form, errors=errors, availability=available,
        is_open=registrations.registration_is_open(event),
        participation_options=_participation_options(event, available),
        ics_url=ics_url, webcal_url=links.webcal_url(ics_url), google_url=links.google_calendar_url(event, language),
        labels=_form_labels(event), sector_options=[(key, sector_label(key, language)) for key in SECTORS],
    )


def _participation_options(event: Event, available: list[seats.Availability]) -> list[tuple[str, str]]:
    """The ways to take part, each with its free seats when they differ by way: "On site (3 seats left)"."""
    language = current_language()
    by_way = {item.participation: item for item in available if item.participation is not None}
    return [(way.value, mode_label(way.value, language)
             + (f" ({availability_status(by_way[way])})" if way in by_way else ""))
            for way in event.ways_to_take_part()]


def _form_labels(event: Event) -> dict[str, str]:
    language = current_language()
    labels = {"name": _("Name"), "email": _("Email address"), "organisation": _("Organisation"),
              "sector": _("Which sector do you work in?"),
              "participation": _("How will you take part?"), "language": _("Language for emails"),
              "dietary_needs": _("Dietary needs"), "accessibility_needs": _("Accessibility needs")}
    for question in event.questions:
        label = question["label"].get(language) or question["label"]["fi"]
        labels[f"answers.{question['key']}"] = label
    return labels


def _form_data(event: Event, form: MultiDict[str, str]) -> dict[str, Any]:
    """The form as a registration body (RegistrationInput): answers by question, a list for a multiple choice."""
    answers: dict[str, Any] = {}
    for question in event.questions:
        name = f"answers.{question['key']}"
        if question["type"] == "multiple":
            answers[question["key"]] = form.getlist(name)
        elif form.get(name):
            answers[question["key"]] = form.get(name)
    data: dict[str, Any] = {name: form.get(name, "") for name in FORM_FIELDS}
    data["answers"] = answers
    return data


def _translated(errors: dict[str, Any]) -> dict[str, list[str]]:
    return {name: [field_message(str(message)) for message in messages] for name, messages in errors.items()}


def _register_from_form(event: Event) -> tuple[str, int]:
    if request.form.get("website"):  # the honeypot: people leave it empty
        return render_template("events/registered.html", event=event, status="received"), 200
    data = _form_data(event, request.form)
    limit_registrations(data.get("email"))
    if not data["sector"] and registrations.registration_is_open(event):  # asked here; the API may leave it out
        return _render_event(event, form=data, errors=_without_sector(event, data)), 422
    try:
        outcome = registrations.register(db.session(), event.id, data, secret_key=current_app.config["SECRET_KEY"],
                                         default_language=current_language())
    except InvalidInput as error:
        db.session.rollback()
        return _render_event(event, form=data, errors=_translated(error.errors or {})), 422
    except DomainError as error:
        db.session.rollback()
        return _render_event(event, form=data, errors={"_form": [_(error.detail)]}), error.status
    status = outcome.registration.status.value
    db.session.commit()
    return render_template("events/registered.html", event=event, status=status), 201


def _without_sector(event: Event, data: dict[str, Any]) -> dict[str, list[str]]:
    """The form without a sector: its message next to the field, with the other fields' messages."""
    try:
        registrations.read_registration(event, data, default_language=current_language())
        errors: dict[str, Any] = {}
    except InvalidInput as error:
        errors = dict(error.errors or {})
    return {**_translated(errors), "sector": [_("Choose the sector you work in.")]}


def _registration_or_gone(token: str, purpose: str, max_age: int) -> Registration:
    try:
        return registrations.registration_from_token(db.session(), purpose, token, max_age)
    except TokenExpired as error:
        raise Gone(_("This link has expired.")) from error
    except TokenInvalid as error:
        raise NotFound(_("This link is not valid.")) from error


def registration_page(token: str) -> str:
    """The person's own registration: details, online link, cancel (POST)."""
    registration = _registration_or_gone(token, links.REGISTRATION_PURPOSE, links.REGISTRATION_MAX_AGE)
    cancelled_now = False
    if request.method == "POST":
        registration = registrations.cancel_registration(db.session(), registration.id)
        db.session.commit()
        cancelled_now = True
    event = registration.event
    calendar_url = links.personal_calendar_url(registration)
    return render_template("events/registration.html", registration=registration, event=event,
                           cancelled_now=cancelled_now, online_url=event.online_url
                           if registration.holds_seat and sees_online_link(event, registration) else "",
                           calendar_url=calendar_url, webcal_url=links.webcal_url(calendar_url),
                           ics_url=links.event_ics_url(event.slug))


def confirm_page(token: str) -> str:
    """The link in the registration email opens this page; only its button (a POST) confirms the
    address and a held seat, so a mail scanner opening the link changes nothing."""
    registration = _registration_or_gone(token, links.CONFIRM_PURPOSE, links.CONFIRM_MAX_AGE)
    confirmed_now = False
    if request.method == "POST":
        registration = registrations.confirm_address(db.session(), registration.id)
        db.session.commit()
        confirmed_now = True
    return render_template("events/confirm.html", registration=registration, event=registration.event,
                           confirmed_now=confirmed_now, registration_url=links.registration_url(registration))


def feedback_page(token: str) -> tuple[str, int]:
    registration = _registration_or_gone(token, links.FEEDBACK_PURPOSE, links.FEEDBACK_MAX_AGE)
    event = registration.event
    errors: dict[str, list[str]] = {}
    done = False
    status = 200
    if request.method == "POST":
        try:
            feedback.submit_feedback(db.session(), registration, request.form)
            db.session.commit()
            done, status = True, 201
        except InvalidInput as error:
            db.session.rollback()
            errors, status = _translated(error.errors or {}), 422
        except DomainError as error:
            db.session.rollback()
            errors, status = {"_form": [_(error.detail)]}, error.status
    labels = {q["key"]: (q["label"].get(current_language()) or q["label"]["fi"]) for q in event.feedback_questions}
    return render_template("events/feedback.html", event=event, errors=errors, done=done, form=request.form,
                           labels=labels), status
