"""Links in pages and emails: signed, purpose-bound tokens that carry registration ids only."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import current_app

from services.events.calendar import utc_stamp
from services.events.models import Event
from shared.tokens import DAY, make_token, read_token

REGISTRATION_PURPOSE = "event-registration"
FEEDBACK_PURPOSE = "event-feedback"
CALENDAR_PURPOSE = "event-calendar"
REGISTRATION_MAX_AGE = 2 * 365 * DAY
FEEDBACK_MAX_AGE = 120 * DAY
CALENDAR_MAX_AGE = 3 * 365 * DAY


def base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def event_url(slug: str) -> str:
    return f"{base_url()}/events/{slug}"


def event_ics_url(slug: str) -> str:
    return f"{base_url()}/events/{slug}.ics"


def registration_token(registration_id: int) -> str:
    return make_token(secret(), REGISTRATION_PURPOSE, {"r": registration_id})


def registration_url(registration_id: int) -> str:
    return f"{base_url()}/events/registrations/{registration_token(registration_id)}"


def feedback_url(registration_id: int) -> str:
    return f"{base_url()}/events/feedback/{make_token(secret(), FEEDBACK_PURPOSE, {'r': registration_id})}"


def personal_calendar_url(registration_id: int) -> str:
    return f"{base_url()}/events/calendar/{make_token(secret(), CALENDAR_PURPOSE, {'r': registration_id})}.ics"


def registration_id_from(purpose: str, token: str, max_age: int) -> int:
    """The registration id in a token; TokenExpired / TokenInvalid otherwise."""
    data = read_token(secret(), purpose, token, max_age)
    return int(data["r"])


def webcal_url(http_url: str) -> str:
    return "webcal://" + http_url.split("://", 1)[1]


def google_calendar_url(event: Event, language: str) -> str:
    dates = f"{utc_stamp(event.starts_at)}/{utc_stamp(event.ends_at)}"
    params = {"action": "TEMPLATE", "text": event.text("title", language), "dates": dates,
              "details": event_url(event.slug), "location": event.address, "ctz": event.timezone}
    if event.rrule:
        params["recur"] = f"RRULE:{event.rrule}"
    return "https://calendar.google.com/calendar/render?" + urlencode(params, quote_via=quote)

