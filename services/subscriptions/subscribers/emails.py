"""Which email goes to whom, with its idempotency key.

Every email is a `mailer.send_email` outbox row written in the caller's transaction, so it goes
out exactly when the change that causes it is committed. The key names the email, the subscriber
and what makes this sending unique; the mailer sends each key once.

- confirm-subscription: to a pending address, `confirm-subscription:<id>:<day>:<n>` (the n-th that day)
- already-subscribed: to a confirmed address that subscribes again, `already-subscribed:<id>:<day>:<n>`
- welcome: after confirming (list mail), `welcome:<id>:<moment of confirming>`
- my-data-link: a fresh single-use link to export or erase one's data, asked for on the public
  "my data" page, `my-data-link:<nonce of the link>`; sent only where some service holds the address
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import Subscriber
from services.subscriptions.subscribers.operations import links
from shared.contract import ANONYMOUS, SEND_EMAIL, EmailRequest, dump_payload
from shared.networks import current_network
from shared.outbox import enqueue

CONFIRM = "confirm-subscription"
ALREADY_SUBSCRIBED = "already-subscribed"
WELCOME = "welcome"
MY_DATA_LINK = "my-data-link"


def _ident(subscriber: Subscriber) -> str:
    """The subscriber in a key: the id and the subscriber's random token key, so that the key of one
    person's email never matches another person's, even where an id could be given again."""
    return f"{subscriber.id}.{subscriber.token_key}"


def confirmation_request(session: Session, subscriber: Subscriber, day: dt.date, number: int,
                         topics: Sequence[str] | None = None) -> None:
    """The double opt-in email: a link to confirm. `topics` for a subscriber whose topics are not loaded."""
    chosen = subscriber.topic_names if topics is None else sorted(topics)
    context = {"confirm_url": links.confirm_url(subscriber), "topics": " ".join(chosen),
               "personal": _personal(subscriber)}
    send(session, subscriber, CONFIRM, f"{CONFIRM}:{_ident(subscriber)}:{day.isoformat()}:{number}", context,
         cause=ANONYMOUS)


def already_subscribed(session: Session, subscriber: Subscriber, day: dt.date, number: int) -> None:
    """A confirmed subscriber asked again: a reminder with the link to their settings, no change."""
    key = f"{ALREADY_SUBSCRIBED}:{_ident(subscriber)}:{day.isoformat()}:{number}"
    send(session, subscriber, ALREADY_SUBSCRIBED, key, {"personal": _personal(subscriber)}, cause=ANONYMOUS)


def welcome(session: Session, subscriber: Subscriber, confirmed_at: dt.datetime) -> None:
    """After confirming; the first list mail, so it carries the unsubscribe headers."""
    key = f"{WELCOME}:{subscriber.id}:{confirmed_at.strftime('%Y%m%dT%H%M%S%f')}"
    send(session, subscriber, WELCOME, key,
         {"topics": " ".join(subscriber.topic_names), "personal": _personal(subscriber)}, list_mail=True)


def my_data_link(session: Session, email: str, language: str, link: links.MyDataLink) -> None:
    """The "my data" link, asked for by whoever typed the address: the subject holds no text of theirs."""
    enqueue(session, SEND_EMAIL, dump_payload(EmailRequest, {
        "idempotency_key": f"{MY_DATA_LINK}:{link.nonce}",
        "template": MY_DATA_LINK,
        "language": language,
        "recipient": {"email": email, "name": None},
        "context": {"my_data_url": links.my_data_url(link), "valid_minutes": links.MY_DATA_MAX_AGE // 60},
        "origin": "subscriptions",
        "cause": ANONYMOUS,  # the mailer caps such mail per recipient
    }))


def send(session: Session, subscriber: Subscriber, template: str, key: str, context: dict[str, Any],
         *, list_mail: bool = False, cause: str | None = None) -> None:
    """`cause=ANONYMOUS` for mail that anyone typing the address can cause (the mailer caps it)."""
    payload: dict[str, Any] = {
        "idempotency_key": key,
        "template": template,
        "language": subscriber.language,
        "recipient": {"email": subscriber.email, "name": subscriber.name},
        "context": context,
        "origin": "subscriptions",
        "cause": cause,
    }
    if list_mail:
        payload["list_headers"] = list_headers(subscriber)
    enqueue(session, SEND_EMAIL, dump_payload(EmailRequest, payload))


def _personal(subscriber: Subscriber) -> dict[str, str]:
    return {"preferences_url": links.preferences_url(subscriber)}


def list_headers(subscriber: Subscriber) -> dict[str, Any]:
    """A `shared.contract.ListHeaders` payload for list mail to this subscriber (RFC 2369, RFC 8058)."""
    return {
        "list_id": list_id(),
        "unsubscribe_url": links.unsubscribe_url(subscriber),
        "unsubscribe_mailto": f"mailto:{_sender_address()}?subject=unsubscribe",
    }


def list_id() -> str:
    """The network's own List-Id (`elo network add --list-id`), else newsletter.<host> of the default."""
    network = current_network()
    return network.list_id if network is not None and network.list_id else f"newsletter.{list_host()}"


def list_host() -> str:
    return urlsplit(links.base_url()).hostname or "localhost"


def _sender_address() -> str:
    """Replies to the sending address reach the coordinator's mailbox (the unsubscribe mailto of RFC 2369)."""
    _, address = parseaddr(current_app.config["ELO_SETTINGS"].mail_from)
    return address
