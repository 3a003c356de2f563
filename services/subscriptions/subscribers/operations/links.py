"""Personal links in emails: confirm, unsubscribe, preferences, "my data"; reading a link back.

Tokens are signed and purpose-bound (shared.tokens) and carry the subscriber's id and its
`token_key`, never the address. Unsubscribe and preference links live long: an issue read
months later must still let its reader leave in one click, so they manage topics, language and
unsubscribing only. Export and erasure need a "my data" link: mailed on request, valid an hour, opened
once (`shared.outbox.claim_once` on its nonce). It carries the keyed hash of the address, so it also
works for people who only registered for an event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import Subscriber
from shared.models import ProcessedMessage
from shared.outbox import claim_once
from shared.tokens import DAY, TokenInvalid, make_token, read_token

CONFIRM_PURPOSE = "confirm-subscription"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
PREFERENCES_PURPOSE = "preferences"
MY_DATA_PURPOSE = "my-data"  # the mailed link: opened once
MY_DATA_SESSION_PURPOSE = "my-data-session"  # the page it opens: download and erase buttons

CONFIRM_MAX_AGE = 7 * DAY
UNSUBSCRIBE_MAX_AGE = 3 * 365 * DAY
PREFERENCES_MAX_AGE = 2 * 365 * DAY
MY_DATA_MAX_AGE = 3600

MAX_AGES = {CONFIRM_PURPOSE: CONFIRM_MAX_AGE, UNSUBSCRIBE_PURPOSE: UNSUBSCRIBE_MAX_AGE,
            PREFERENCES_PURPOSE: PREFERENCES_MAX_AGE, MY_DATA_PURPOSE: MY_DATA_MAX_AGE,
            MY_DATA_SESSION_PURPOSE: MY_DATA_MAX_AGE}


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


class LinkUsed(TokenInvalid):
    """A single-use link that was used already."""


@dataclass(frozen=True)
class MyDataLink:
    """A "my data" link: the keyed hash of the address and the nonce that makes it single-use."""

    address_hash: str
    nonce: str

    @property
    def opened_key(self) -> str:
        return f"my-data-opened:{self.nonce}"

    @property
    def erased_key(self) -> str:
        return f"my-data-erased:{self.nonce}"


def new_my_data_link(address_hash: str) -> MyDataLink:
    return MyDataLink(address_hash, secrets.token_urlsafe(16))


def my_data_url(link: MyDataLink) -> str:
    return f"{base_url()}/newsletter/my-data/{make_token(_secret(), MY_DATA_PURPOSE, [link.address_hash, link.nonce])}"


def my_data_session_token(link: MyDataLink) -> str:
    return make_token(_secret(), MY_DATA_SESSION_PURPOSE, [link.address_hash, link.nonce])


def read_my_data_token(session: Session, purpose: str, token: str) -> MyDataLink:
    """The link inside a mailed (`MY_DATA_PURPOSE`) or page (`MY_DATA_SESSION_PURPOSE`) token; `TokenExpired`,
    `TokenInvalid`, or `LinkUsed` when the mailed link was opened already or the data erased with it."""
    data: Any = read_token(_secret(), purpose, token, MAX_AGES[purpose])
    if not (isinstance(data, list) and len(data) == 2 and all(isinstance(part, str) for part in data)):
        raise TokenInvalid(purpose)
    link = MyDataLink(data[0], data[1])
    used = link.opened_key if purpose == MY_DATA_PURPOSE else link.erased_key
    if session.get(ProcessedMessage, used) is not None:
        raise LinkUsed(purpose)
    return link


def open_my_data_link(session: Session, link: MyDataLink) -> None:
    """Mark the mailed link used (the POST from its page); `LinkUsed` when it was used already."""
    if not claim_once(session, link.opened_key):
        raise LinkUsed(MY_DATA_PURPOSE)


def mark_erased(session: Session, link: MyDataLink) -> None:
    """After the erasure the page's buttons stop working; `LinkUsed` when it was erased already."""
    if not claim_once(session, link.erased_key):
        raise LinkUsed(MY_DATA_SESSION_PURPOSE)
