"""Calendar feeds: the public calendar (`/events/calendar.ics`, filters `?kind=&theme=&lang=`), one
event (`/events/<slug>.ics`) and a person's own calendar (`/events/calendar/<token>.ics`).

Answers carry an ETag and Last-Modified, so a calendar app polling an unchanged feed gets a 304;
the last few rendered public calendars are kept by ETag."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, Response, request

from services.events import links
from services.events.calendar import Personal, calendar_domain, calendar_text
from services.events.emails import sees_online_link
from services.events.models import Event, EventKind, RegistrationStatus, db
from services.events.operations import events as event_cases
from services.events.operations import listing, registrations
from shared.errors import Gone, InvalidInput, NotFound
from shared.labels import THEMES
from shared.settings import LANGUAGES
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language

FEED_NAMES = {"fi": "ELO-verkoston tapahtumat", "sv": "ELO-nätverkets evenemang", "en": "ELO network events"}


def add_routes(app: Flask) -> None:
    app.add_url_rule("/calendar.ics", "feed", feed)
    app.add_url_rule("/calendar/<token>.ics", "personal_feed", personal_feed)
    app.add_url_rule("/<slug>.ics", "event_ics", event_ics)


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
    stamps = listing.feed_stamps(session, kind=kind, theme=theme, language=language)
    text_language = language or "fi"
    name = FEED_NAMES[text_language]
    return _ics_response(stamps, name=name, language=text_language, key=f"{kind}|{theme}|{language}",
                         load=lambda: listing.events_by_ids(session, [row.id for row in stamps]))


def event_ics(slug: str) -> Response:
    event = event_cases.event_by_slug(db.session(), slug)
    asked = request.args.get("lang", "")
    language = asked if asked in LANGUAGES else current_language()
    return _ics_response([event], name=event.text("title", language), language=language,
                         key=f"event|{language}", filename=f"{event.slug}.ics")


def personal_feed(token: str) -> Response:
    session = db.session()
    try:
        owner = registrations.registration_from_token(session, links.CALENDAR_PURPOSE, token, links.CALENDAR_MAX_AGE)
    except TokenExpired as error:
        raise Gone("This calendar link has expired.") from error
    except (TokenInvalid, NotFound) as error:
        raise NotFound("This calendar link is not valid.") from error
    registration_id = owner.id
    held = registrations.registrations_of_person(session, owner)
    events = sorted({r.event for r in held}, key=lambda e: (e.starts_at, e.id))
    personal = {r.event_id: Personal(r.event.online_url) for r in held
                if r.status is RegistrationStatus.CONFIRMED and sees_online_link(r.event, r)}
    language = owner.language
    return _ics_response(events, name=FEED_NAMES[language], language=language, key=f"personal|{registration_id}",
                         personal=personal, private=True)


class RenderedFeeds:
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


rendered_feeds = RenderedFeeds()


def _ics_response(events: Sequence[Any], *, name: str, language: str, key: str, filename: str | None = None,
                  personal: dict[int, Personal] | None = None, private: bool = False,
                  load: Callable[[], Sequence[Event]] | None = None) -> Response:
    """The calendar with ETag and Last-Modified; a conditional GET that matches answers 304 without a body.

    `events` may be light rows (id, sequence, updated_at) with `load` giving the whole events: they
    are loaded only when the calendar must be rendered.
    """
    version = listing.feed_version(events) + f"|{key}|{name}|{links.base_url()}"
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
        text = rendered_feeds.get(etag) if not private else None
        if text is None:
            host = calendar_domain(db.session(), links.base_url())
            text = calendar_text(load() if load else events, host=host, name=name,
                                 language=language, base_url=links.base_url(), personal=personal)
            db.session.commit()  # the calendar domain, when this was the first UID ever made
            if not private:
                rendered_feeds.put(etag, text)
        response = Response(text, mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        if filename:
            response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = cache
    return response
