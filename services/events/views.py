"""HTTP layer of the events service: pages, calendar feeds and the JSON API (services.events.api)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import zoneinfo
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from services.events import api, links, operations
from services.events.calendar import Personal, calendar_text, host_of
from services.events.emails import sees_online_link
from services.events.limits import limit_registrations
from services.events.models import Event, EventKind, Registration, RegistrationStatus, db
from shared.db import utcnow
from shared.errors import DomainError, Gone, InvalidInput, NotFound, ProblemApi
from shared.labels import THEME_LABELS, THEMES
from shared.settings import LANGUAGES
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language

FEED_NAMES = {"fi": "ELO-verkoston tapahtumat", "sv": "ELO-nätverkets evenemang", "en": "ELO network events"}
MONTHS = {"fi": ["tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu", "elokuu",
                 "syyskuu", "lokakuu", "marraskuu", "joulukuu"],
          "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
                 "november", "december"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"]}


def register(app: Flask, api_: ProblemApi) -> None:
    api_.register_blueprint(api.blp)
    app.add_template_filter(local_datetime)
    app.add_template_filter(theme_names)
    app.context_processor(_page_helpers)
    app.add_url_rule("/", "index", index)
    app.add_url_rule("/year/<int:year>", "year", year_view)
    app.add_url_rule("/calendar.ics", "feed", feed)
    app.add_url_rule("/calendar/<token>.ics", "personal_feed", personal_feed)
    app.add_url_rule("/registrations/<token>", "registration", registration_page, methods=["GET", "POST"])
    app.add_url_rule("/feedback/<token>", "feedback", feedback_page, methods=["GET", "POST"])
    app.add_url_rule("/<slug>.ics", "event_ics", event_ics)
    app.add_url_rule("/<slug>", "event", event_page, methods=["GET", "POST"])


# --- helpers for templates -------------------------------------------------------------------------

def local_datetime(value: dt.datetime | str, zone: str = "Europe/Helsinki") -> str:
    """Finnish style `22.11.2026 klo 9.00` (sv `kl.`, en `at`) in the event's zone."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    word = {"fi": "klo", "sv": "kl.", "en": "at"}.get(current_language(), "klo")
    return f"{local.day}.{local.month}.{local.year} {word} {local.hour}.{local.minute:02d}"


def theme_names(keys: Sequence[str]) -> str:
    language = current_language()
    return ", ".join(THEME_LABELS.get(key, {}).get(language, key) for key in keys)


def _page_helpers() -> dict[str, Any]:
    language = current_language()
    return {
        "text_of": lambda event, field: event.text(field, language),
        "label_of": lambda labels: (labels or {}).get(language) or (labels or {}).get("fi", ""),
        "theme_label": lambda key: THEME_LABELS.get(key, {}).get(language, key),
        "kind_label": _kind_label,
        "mode_label": _mode_label,
        "status_label": _status_label,
        "theme_keys": THEMES,
    }


def _kind_label(kind: str) -> str:
    labels = {"seminar": _("Seminar"), "training": _("Training"), "network-meeting": _("Network meeting"),
              "group-meeting": _("Group meeting")}
    return str(labels.get(kind, kind))


def _mode_label(mode: str) -> str:
    labels = {"onsite": _("On site"), "online": _("Online"), "hybrid": _("On site and online"),
              "remote": _("Remotely")}
    return str(labels.get(mode, mode))


def _status_label(status: str) -> str:
    labels = {"confirmed": _("You have a seat."), "waitlisted": _("You are on the waiting list."),
              "cancelled": _("Your registration is cancelled.")}
    return str(labels.get(status, status))


# --- listing -------------------------------------------------------------------------------------

PAGE_SIZE = 30


def _page_number(raw: str | None) -> int:
    """A page number from the address; anything odd is the first page, too large the last."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 10_000 else 1


def index() -> str:
    kind = request.args.get("kind") or None
    theme = request.args.get("theme") or None
    language = request.args.get("in") or None
    kind = kind if kind in [k.value for k in EventKind] else None
    theme = theme if theme in THEMES else None
    language = language if language in LANGUAGES else None
    session = db.session()
    matching = operations.upcoming_stamps(session, kind=kind, theme=theme, language=language)
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(_page_number(request.args.get("page")), pages)
    events = operations.events_by_ids(session, [row.id for row in matching[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]])
    year = utcnow().year
    filters: dict[str, Any] = {"kind": kind, "theme": theme, "in": language}
    return render_template("events/index.html", events=events, kind=kind, theme=theme, event_language=language,
                           page=page, pages=pages, page_url=lambda number: url_for("index", page=number, **filters),
                           kind_options=[(k.value, _kind_label(k.value)) for k in EventKind],
                           theme_options=[(t, THEME_LABELS[t][current_language()]) for t in THEMES],
                           year_url=url_for("year", year=year), year=year,
                           feed_url=f"{links.base_url()}/events/calendar.ics")


def year_view(year: int) -> str:
    if not 2000 <= year <= 2100:
        raise NotFound("There is no such year in the calendar.")
    events = operations.events_in_year(db.session(), year)
    language = current_language()
    months: list[tuple[str, list[Event]]] = [(MONTHS[language][m], []) for m in range(12)]
    for event in events:
        local = event.starts_at.astimezone(zoneinfo.ZoneInfo(event.timezone))
        months[local.month - 1][1].append(event)
    return render_template("events/year.html", year=year, months=months)


# --- event page and registration -----------------------------------------------------------------

def event_page(slug: str) -> tuple[str, int]:
    session = db.session()
    event = operations.event_by_slug(session, slug)
    if request.method == "POST":
        return _register_from_form(event)
    return _render_event(event, form={}, errors={}), 200


def _render_event(event: Event, *, form: dict[str, Any], errors: dict[str, list[str]]) -> str:
    language = current_language()
    taken = operations.seats(db.session(), event.id)
    seats_left = None if event.capacity is None else max(0, event.capacity - taken.confirmed)
    ics_url = links.event_ics_url(event.slug)
    return render_template(
        "events/event.html", event=event, form=form, errors=errors, seats_left=seats_left,
        is_open=operations.registration_is_open(event),
        participation_options=[(p.value, _mode_label(p.value)) for p in operations.allowed_participation(event)],
        ics_url=ics_url, webcal_url=links.webcal_url(ics_url), google_url=links.google_calendar_url(event, language),
        labels=_form_labels(event),
    )


def _form_labels(event: Event) -> dict[str, str]:
    language = current_language()
    labels = {"name": _("Name"), "email": _("Email address"), "organisation": _("Organisation"),
              "participation": _("How will you take part?"), "language": _("Language for emails"),
              "dietary_needs": _("Dietary needs"), "accessibility_needs": _("Accessibility needs")}
    for question in event.questions:
        label = question["label"].get(language) or question["label"]["fi"]
        labels[f"answers.{question['key']}"] = label
    return labels


def _form_data(event: Event, form: MultiDict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in event.questions:
        name = f"answers.{question['key']}"
        if question["type"] == "multiple":
            answers[question["key"]] = form.getlist(name)
        elif form.get(name):
            answers[question["key"]] = form.get(name)
    fields = ("name", "email", "organisation", "participation", "language", "dietary_needs", "accessibility_needs")
    data: dict[str, Any] = {name: form.get(name, "") for name in fields}
    data["answers"] = answers
    return data


def _register_from_form(event: Event) -> tuple[str, int]:
    if request.form.get("website"):  # the honeypot: people leave it empty
        return render_template("events/registered.html", event=event, status="received"), 200
    data = _form_data(event, request.form)
    limit_registrations(data.get("email"))
    try:
        outcome = operations.register(db.session(), event.id, data, secret_key=current_app.config["SECRET_KEY"],
                                      default_language=current_language())
    except InvalidInput as error:
        db.session.rollback()
        errors = {name: [_(message) for message in messages] for name, messages in (error.errors or {}).items()}
        return _render_event(event, form=data, errors=errors), 422
    except DomainError as error:
        db.session.rollback()
        return _render_event(event, form=data, errors={"_form": [_(error.detail)]}), error.status
    status = outcome.registration.status.value
    db.session.commit()
    return render_template("events/registered.html", event=event, status=status), 201


def _registration_or_gone(token: str, purpose: str, max_age: int) -> Registration:
    try:
        return operations.registration_from_token(db.session(), purpose, token, max_age)
    except TokenExpired as error:
        raise Gone(_("This link has expired.")) from error
    except TokenInvalid as error:
        raise NotFound(_("This link is not valid.")) from error


def registration_page(token: str) -> str:
    """The person's own registration: details, online link, cancel (POST)."""
    registration = _registration_or_gone(token, links.REGISTRATION_PURPOSE, links.REGISTRATION_MAX_AGE)
    cancelled_now = False
    if request.method == "POST":
        registration = operations.cancel_registration(db.session(), registration.id)
        db.session.commit()
        cancelled_now = True
    event = registration.event
    calendar_url = links.personal_calendar_url(registration.id)
    return render_template("events/registration.html", registration=registration, event=event,
                           cancelled_now=cancelled_now, online_url=event.online_url
                           if registration.holds_seat and sees_online_link(event, registration) else "",
                           calendar_url=calendar_url, webcal_url=links.webcal_url(calendar_url),
                           ics_url=links.event_ics_url(event.slug))


def feedback_page(token: str) -> tuple[str, int]:
    registration = _registration_or_gone(token, links.FEEDBACK_PURPOSE, links.FEEDBACK_MAX_AGE)
    event = registration.event
    errors: dict[str, list[str]] = {}
    done = False
    status = 200
    if request.method == "POST":
        try:
            operations.submit_feedback(db.session(), registration, request.form)
            db.session.commit()
            done, status = True, 201
        except InvalidInput as error:
            db.session.rollback()
            errors = {name: [_(m) for m in messages] for name, messages in (error.errors or {}).items()}
            status = 422
        except DomainError as error:
            db.session.rollback()
            errors, status = {"_form": [_(error.detail)]}, error.status
    labels = {q["key"]: (q["label"].get(current_language()) or q["label"]["fi"]) for q in event.feedback_questions}
    return render_template("events/feedback.html", event=event, errors=errors, done=done, form=request.form,
                           labels=labels), status


# --- calendar feeds ------------------------------------------------------------------------------

def feed() -> Response:
    args = request.args
    kind = args.get("kind") or None
    theme = args.get("theme") or None
    language = args.get("lang") or None
    problems = {}
    if kind and kind not in [k.value for k in EventKind]:
        problems["kind"] = ["Unknown kind."]
    if theme and theme not in THEMES:
        problems["theme"] = ["Unknown theme."]
    if language and language not in LANGUAGES:
        problems["lang"] = ["Use fi, sv or en."]
    if problems:
        raise InvalidInput("Check these parameters: " + ", ".join(sorted(problems)) + ".", errors=problems)
    session = db.session()
    stamps = operations.feed_stamps(session, kind=kind, theme=theme, language=language)
    text_language = language or "fi"
    name = FEED_NAMES[text_language]
    return _ics_response(stamps, name=name, language=text_language, key=f"{kind}|{theme}|{language}",
                         load=lambda: operations.events_by_ids(session, [row.id for row in stamps]))


def event_ics(slug: str) -> Response:
    event = operations.event_by_slug(db.session(), slug)
    asked = request.args.get("lang", "")
    language = asked if asked in LANGUAGES else current_language()
    return _ics_response([event], name=event.text("title", language), language=language,
                         key=f"event|{language}", filename=f"{event.slug}.ics")


def personal_feed(token: str) -> Response:
    try:
        registration_id = links.registration_id_from(links.CALENDAR_PURPOSE, token, links.CALENDAR_MAX_AGE)
    except TokenExpired as error:
        raise Gone("This calendar link has expired.") from error
    except TokenInvalid as error:
        raise NotFound("This calendar link is not valid.") from error
    session = db.session()
    owner = session.get(Registration, registration_id)
    if owner is None or owner.erased_at is not None:
        raise NotFound("This calendar link is not valid.")
    registrations = operations.registrations_of_person(session, owner)
    events = sorted({r.event for r in registrations}, key=lambda e: (e.starts_at, e.id))
    personal = {r.event_id: Personal(r.event.online_url) for r in registrations
                if r.status is RegistrationStatus.CONFIRMED and sees_online_link(r.event, r)}
    language = owner.language
    return _ics_response(events, name=FEED_NAMES[language], language=language, key=f"personal|{registration_id}",
                         personal=personal, private=True)


class _RenderedFeeds:
    """The last few public calendars, by ETag: a calendar app polls the same feed again and again,
    and the ETag changes whenever an event in it does."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, etag: str) -> str | None:
        with self._lock:
            text = self._texts.get(etag)
            if text is not None:
                self._texts.move_to_end(etag)
            return text

    def put(self, etag: str, text: str) -> None:
        with self._lock:
            self._texts[etag] = text
            while len(self._texts) > self.size:
                self._texts.popitem(last=False)


_rendered_feeds = _RenderedFeeds()


def _ics_response(events: Sequence[Any], *, name: str, language: str, key: str, filename: str | None = None,
                  personal: dict[int, Personal] | None = None, private: bool = False,
                  load: Callable[[], Sequence[Event]] | None = None) -> Response:
    """The calendar with ETag and Last-Modified; a conditional GET that matches answers 304 without a body.

    `events` may be light rows (id, sequence, updated_at) with `load` giving the whole events: they
    are loaded only when the calendar must be rendered.
    """
    version = operations.feed_version(events) + f"|{key}|{name}|{links.base_url()}"
    if personal:
        version += "|" + ";".join(f"{event_id}:{item}" for event_id, item in sorted(personal.items()))
    etag = hashlib.sha256(version.encode()).hexdigest()[:32]
    last_modified = max((e.updated_at for e in events), default=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    cache = "private, max-age=300" if private else "public, max-age=300"
    if request.if_none_match.contains_weak(etag) or (  # RFC 9110: weak comparison (gzip proxies weaken ETags)
            not request.if_none_match and request.if_modified_since
            and last_modified.replace(microsecond=0) <= request.if_modified_since):
        response = Response(status=304)
    else:
        text = _rendered_feeds.get(etag) if not private else None
        if text is None:
            text = calendar_text(load() if load else events, host=host_of(links.base_url()), name=name,
                                 language=language, base_url=links.base_url(), personal=personal)
            if not private:
                _rendered_feeds.put(etag, text)
        response = Response(text, mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        if filename:
            response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = cache
    return response


