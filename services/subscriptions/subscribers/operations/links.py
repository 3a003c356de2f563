"""Personal links in emails: confirm, unsubscribe, preferences; reading a link back to its subscriber.

Tokens are signed and purpose-bound (shared.tokens) and carry the subscriber's id and its
`token_key`, never the address. Unsubscribe and preference links live long: an issue read
months later must still let its reader leave in one click.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import Subscriber
from shared.tokens import DAY, TokenInvalid, make_token, read_token

CONFIRM_PURPOSE = "confirm-subscription"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
PREFERENCES_PURPOSE = "preferences"

CONFIRM_MAX_AGE = 7 * DAY
UNSUBSCRIBE_MAX_AGE = 3 * 365 * DAY
PREFERENCES_MAX_AGE = 2 * 365 * DAY

MAX_AGES = {CONFIRM_PURPOSE: CONFIRM_MAX_AGE, UNSUBSCRIBE_PURPOSE: UNSUBSCRIBE_MAX_AGE,
            PREFERENCES_PURPOSE: PREFERENCES_MAX_AGE}


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def make_subscriber_token(subscriber: Subscriber, purpose: str) -> str:
    return make_token(_secret(), purpose, [subscriber.id, subscriber.token_key])


def subscriber_from_token(session: Session, purpose: str, token: str, *, lock: bool = False) -> Subscriber:
    """The subscriber a token was made for; `TokenExpired` / `TokenInvalid` otherwise (also once erased)."""
    data: Any = read_token(_secret(), purpose, token, MAX_AGES[purpose])
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int) and isinstance(data[1], str)):
        raise TokenInvalid(purpose)
    subscriber = session.get(Subscriber, data[0], with_for_update=lock)
    if subscriber is None or subscriber.token_key != data[1]:
        raise TokenInvalid(purpose)
    return subscriber


def confirm_url(subscriber: Subscriber) -> str:
    return f"{base_url()}/newsletter/confirm/{make_subscriber_token(subscriber, CONFIRM_PURPOSE)}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    """Absolute one-click unsubscribe URL (RFC 8058): GET shows a button, POST unsubscribes."""
    return f"{base_url()}/newsletter/unsubscribe/{make_subscriber_token(subscriber, UNSUBSCRIBE_PURPOSE)}"


def preferences_url(subscriber: Subscriber) -> str:
    return f"{base_url()}/newsletter/preferences/{make_subscriber_token(subscriber, PREFERENCES_PURPOSE)}"
