"""Links in pages and emails: signed, purpose-bound tokens that carry registration ids only.

Each token also carries the registration's creation time (`k`): a link made for one registration
never opens another one, even where an id could be given again (a restored or rebuilt database).
Tokens without `k` (made before it was added) are read by their id alone."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import current_app

from services.events.calendar import utc_stamp
from services.events.models import Event, Registration
from shared.tokens import DAY, TokenInvalid, make_token, read_token

REGISTRATION_PURPOSE = "event-registration"
FEEDBACK_PURPOSE = "event-feedback"
CALENDAR_PURPOSE = "event-calendar"
CONFIRM_PURPOSE = "event-confirm"
REGISTRATION_MAX_AGE = 2 * 365 * DAY
FEEDBACK_MAX_AGE = 120 * DAY
CALENDAR_MAX_AGE = 3 * 365 * DAY
# The hold itself ends much sooner; a late click on a waiting-list notice still confirms the address.
CONFIRM_MAX_AGE = 60 * DAY


def base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def event_url(slug: str) -> str:
    return f"{base_url()}/events/{slug}"


def event_ics_url(slug: str) -> str:
    return f"{base_url()}/events/{slug}.ics"


def registration_stamp(registration: Registration) -> str:
    """The registration's creation time, to the microsecond: with the id, it names one registration."""
    return registration.created_at.strftime("%Y%m%d%H%M%S%f")


def _token(purpose: str, registration: Registration) -> str:
    return make_token(secret(), purpose, {"r": registration.id, "k": registration_stamp(registration)})


def registration_token(registration: Registration) -> str:
    return _token(REGISTRATION_PURPOSE, registration)


def registration_url(registration: Registration) -> str:
    return f"{base_url()}/events/registrations/{registration_token(registration)}"


def confirm_url(registration: Registration) -> str:
    """The page with the button that confirms the address (and a held seat)."""
    return f"{base_url()}/events/registrations/{_token(CONFIRM_PURPOSE, registration)}/confirm"


def feedback_url(registration: Registration) -> str:
    return f"{base_url()}/events/feedback/{_token(FEEDBACK_PURPOSE, registration)}"


def personal_calendar_url(registration: Registration) -> str:
    return f"{base_url()}/events/calendar/{_token(CALENDAR_PURPOSE, registration)}.ics"


def registration_id_from(purpose: str, token: str, max_age: int) -> tuple[int, str | None]:
    """(registration id, creation stamp or None) in a token; TokenExpired / TokenInvalid otherwise."""
    data = read_token(secret(), purpose, token, max_age)
    try:
        stamp = data.get("k")
        return int(data["r"]), None if stamp is None else str(stamp)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise TokenInvalid(purpose) from error


def webcal_url(http_url: str) -> str:
    return "webcal://" + http_url.split("://", 1)[1]


def google_calendar_url(event: Event, language: str) -> str:
    dates = f"{utc_stamp(event.starts_at)}/{utc_stamp(event.ends_at)}"
    params = {"action": "TEMPLATE", "text": event.text("title", language), "dates": dates,
              "details": event_url(event.slug), "location": event.address, "ctz": event.timezone}
    if event.rrule:
        params["recur"] = f"RRULE:{event.rrule}"
    return "https://calendar.google.com/calendar/render?" + urlencode(params, quote_via=quote)

