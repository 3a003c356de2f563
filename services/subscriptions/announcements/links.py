"""The one-click link that stops announcements only (the subscription and its other topics stay).

Signed and bound to its own purpose, so it never works as the newsletter's unsubscribe link or the other
way round; it carries the subscriber's id and `token_key`, never the address. It lives as long as the
unsubscribe link: an announcement read months later must still let its reader stop them.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import Subscriber
from services.subscriptions.subscribers.operations.links import (
    UNSUBSCRIBE_MAX_AGE,
    base_url,
    make_subscriber_token,
)
from shared.tokens import TokenInvalid, read_token

STOP_PURPOSE = "announcements-stop"


def stop_url(subscriber: Subscriber) -> str:
    """Absolute one-click URL (RFC 8058): GET shows a button, POST stops the announcements."""
    return f"{base_url()}/newsletter/announcements/stop/{make_subscriber_token(subscriber, STOP_PURPOSE)}"


def subscriber_from_stop_token(session: Session, token: str, *, lock: bool = False) -> Subscriber:
    """The subscriber the link was made for; `TokenExpired` / `TokenInvalid` otherwise (also once erased)."""
    data: Any = read_token(str(current_app.config["SECRET_KEY"]), STOP_PURPOSE, token, UNSUBSCRIBE_MAX_AGE)
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int) and isinstance(data[1], str)):
        raise TokenInvalid(STOP_PURPOSE)
    subscriber = session.get(Subscriber, data[0], with_for_update=lock)
    if subscriber is None or subscriber.token_key != data[1]:
        raise TokenInvalid(STOP_PURPOSE)
    return subscriber
