"""Calendar feeds: the public calendar (`/events/calendar.ics`, filters `?kind=&theme=&lang=`), one
event (`/events/<slug>.ics`) and a person's own calendar (`/events/calendar/<token>.ics`).

With several networks, the plain `/events/calendar.ics` is the national calendar (`services.events.national`),
which also takes `?mode=` and `?network=` (one or more slugs): a feed of one's own choice across networks.

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

from services.events import links, national
from services.events.calendar import Personal, calendar_domain, calendar_text, national_calendar_text
from services.events.emails import sees_online_link
from services.events.models import Event, EventKind, RegistrationStatus, db
from services.events.operations import events as event_cases
from services.events.operations import listing, registrations
from services.events.pages import copies
from shared.db import utcnow
from shared.errors import Gone, InvalidInput, NotFound
from shared.labels import THEMES
from shared.settings import LANGUAGES
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language

FEED_NAMES = {"fi": "ELO-verkoston tapahtumat", "sv": "ELO-nätverkets evenemang", "en": "ELO network events"}
NATIONAL_FEED_NAMES = {"fi": "ELO-verkostojen tapahtumat koko maassa", "sv": "ELO-nätverkens evenemang i hela landet",
                       "en": "ELO network events nationwide"}
FIRST_MODIFIED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # Last-Modified of a calendar without events


def add_routes(app: Flask) -> None:
    app.add_url_rule("/calendar.ics", "feed", feed)
    app.add_url_rule("/calendar/<token>.ics", "personal_feed", personal_feed)
    app.add_url_rule("/<slug>.ics", "event_ics", event_ics)


def feed() -> Response:
    """The public calendar; at the plain prefix of a deployment with several networks, the national one."""
    national_view = national.is_national_view()
    filters, slugs = _feed_filters(national_view)
    if national_view:
        return _national_feed(filters, slugs)
    session = db.session()
    text_language = filters.language or "fi"
    name = FEED_NAMES[text_language]
    # The version is the events' marker (one aggregate row): a poll of an unchanged calendar reads no event.
    # The day is part of it, as events fall out of the year-back window.
    marker, changed_at = listing.events_marker(session)
    version = (f"{marker}|{filters.kind}|{filters.theme}|{filters.language}|{name}|{utcnow().date()}|"
               f"{links.base_url()}|{copies.database_key()}")

    def render() -> str:
        stamps = listing.feed_stamps(session, kind=filters.kind, theme=filters.theme, language=filters.language)
        text = calendar_text(listing.events_by_ids(session, [row.id for row in stamps]),
                             host=calendar_domain(session, links.base_url()), name=name, language=text_language,
                             base_url=links.base_url())
        db.session.commit()  # the calendar domain, when this was the first UID ever made
        return text

    return _conditional_ics(_etag(version), changed_at or FIRST_MODIFIED, private=False, render=render)


def _feed_filters(national_view: bool) -> tuple[national.Filters, list[str]]:
    """The feed's filters (`kind`, `theme`, `lang`; nationally also `mode` and `network`, one or more slugs
    comma-separated or repeated); a problem+json naming each wrong one."""
    args = request.args
    filters = national.Filters(kind=args.get("kind") or None, theme=args.get("theme") or None,
                               language=args.get("lang") or None, mode=args.get("mode") or None)
    slugs = [slug.strip() for value in args.getlist("network") for slug in value.split(",") if slug.strip()]
    problems = {}
    if filters.kind and filters.kind not in [k.value for k in EventKind]:
        problems["kind"] = ["Unknown kind."]
    if filters.theme and filters.theme not in THEMES:
        problems["theme"] = ["Unknown theme."]
    if filters.language and filters.language not in LANGUAGES:
        problems["lang"] = ["Use fi, sv or en."]
    if national_view and filters.mode and filters.mode not in national.MODES:
        problems["mode"] = ["Use onsite, online or hybrid."]
    unknown = national.unknown_slugs(slugs) if national_view else []
    if unknown:
        problems["network"] = [f"Unknown network: {', '.join(unknown)}."]
    if problems:
        raise InvalidInput("Check these parameters: " + ", ".join(sorted(problems)) + ".", errors=problems)
    return filters, slugs


def _national_feed(filters: national.Filters, slugs: list[str]) -> Response:
    """Served from the copy rendered for the networks' current markers; rendered anew when one changes
    (and once a day, as events fall out of the year-back window)."""
    chosen = national.organisers(slugs)
    markers = national.markers(chosen)
    language = filters.language or "fi"
    name = NATIONAL_FEED_NAMES[language]
    version = ";".join(f"{organiser.slug}:{marker}" for organiser, marker in zip(chosen, markers, strict=True))
    version += f"|national|{filters.key}|{name}|{utcnow().date()}|{links.base_url()}"
    changes = [marker.changed_at for marker in markers if marker.changed_at is not None]
    return _conditional_ics(_etag(version), max(changes, default=FIRST_MODIFIED), private=False,
                            render=lambda: national_calendar_text(national.feed_entries(chosen, filters, language),
                                                                  name=name, language=language))


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
    """The calendar of `events` with ETag and Last-Modified.

    `events` may be light rows (id, sequence, updated_at) with `load` giving the whole events: they
    are loaded only when the calendar must be rendered.
    """
    version = listing.feed_version(events) + f"|{key}|{name}|{links.base_url()}"
    if personal:
        version += "|" + ";".join(f"{event_id}:{item}" for event_id, item in sorted(personal.items()))
    last_modified = max((e.updated_at for e in events), default=FIRST_MODIFIED)

    def render() -> str:
        host = calendar_domain(db.session(), links.base_url())
        text = calendar_text(load() if load else events, host=host, name=name,
                             language=language, base_url=links.base_url(), personal=personal)
        db.session.commit()  # the calendar domain, when this was the first UID ever made
        return text

    return _conditional_ics(_etag(version), last_modified, private=private, render=render, filename=filename)


def _etag(version: str) -> str:
    return hashlib.sha256(version.encode()).hexdigest()[:32]


def _conditional_ics(etag: str, last_modified: dt.datetime, *, private: bool, render: Callable[[], str],
                     filename: str | None = None) -> Response:
    """A conditional GET that matches answers 304 without a body; a public calendar already rendered for
    this ETag is served from its copy; `render` runs only when neither."""
    cache = "private, max-age=300" if private else "public, max-age=300"
    if request.if_none_match.contains_weak(etag) or (  # RFC 9110: weak comparison (gzip proxies weaken ETags)
            not request.if_none_match and request.if_modified_since
            and last_modified.replace(microsecond=0) <= request.if_modified_since):
        response = Response(status=304)
    else:
        text = rendered_feeds.get(etag) if not private else None
        if text is None:
            text = render()
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
