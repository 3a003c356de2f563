"""Use-cases of the mailer's API: plain functions on a Session that may flush and never commit.

Delivering messages is not here: it writes the delivery log in its own short transactions
(see `log.py` and the `delivery` package). What is here: reading the log (one key, a
campaign's counts), recording a bounce, and rendering a preview exactly as a message is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.mailer.composing import ReadEmail, as_read
from services.mailer.delivery.system_wide import share_suppression
from services.mailer.models import Delivery, DeliveryStatus, Suppression, SuppressionReason
from services.mailer.rendering import Site, TemplateMissing, render
from shared.contract import SUPPRESSION_NOTICE, SuppressionNotice, dump_payload
from shared.errors import InvalidInput, NotFound
from shared.outbox import enqueue
from shared.privacy import email_hash, normalise_email

# A preview's recipient: an example address, links to the site's front page (nowhere personal).
EXAMPLE_EMAIL = "lukija@example.fi"


def delivery_by_key(session: Session, key: str) -> Delivery:
    row = session.scalar(select(Delivery).where(Delivery.idempotency_key == key))
    if row is None:
        raise NotFound("No delivery has this key.")
    return row


def campaign_counts(session: Session, campaign: str) -> dict[str, Any]:
    """`{campaign, total, queued, sending, sent, retrying, failed, suppressed}` of one campaign."""
    counts = {status.value: 0 for status in DeliveryStatus}
    rows = session.execute(select(Delivery.status, func.count()).where(Delivery.campaign == campaign)
                           .group_by(Delivery.status))
    for status, count in rows:
        counts[status.value] = count
    return {"campaign": campaign, "total": sum(counts.values()), **counts}


def record_suppression(session: Session, *, secret_key: str, email: str, reason: str,
                       occurred_at: dt.datetime, detail: str | None = None) -> bool:
    """Suppress list mail to `email` and tell the subscriptions service. False when already suppressed."""
    hashed = email_hash(secret_key, email)
    if session.scalar(select(Suppression.id).where(Suppression.email_hash == hashed)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Suppression(email_hash=hashed, reason=SuppressionReason(reason), detail=detail,
                                    occurred_at=occurred_at))
    except IntegrityError:
        return False  # recorded at the same moment by another request
    share_suppression(hashed, reason, detail, occurred_at)
    enqueue(session, SUPPRESSION_NOTICE, dump_payload(SuppressionNotice, {
        "email": normalise_email(email), "reason": reason, "occurred_at": occurred_at}))
    return True


def render_preview(site: Site, *, template: str, language: str, context: Mapping[str, Any],
                   personal: Mapping[str, str] | None = None, list_mail: bool = True) -> ReadEmail:
    """The email as its recipient reads it, rendered and personalised exactly like a sent one.

    `personal` gives the recipient's values (`name`, `email`, `unsubscribe_url`, …); a value not
    given is an example: the address `lukija@example.fi`, no name, links to the site's front page.
    """
    try:
        rendered = render(template, language, context, site, list_mail=list_mail)
    except TemplateMissing as error:
        raise InvalidInput("There is no such email template.", errors={"template": [str(error)]}) from error
    except (TemplateError, ValueError) as error:
        raise InvalidInput("The email cannot be rendered with this context.",
                           errors={"context": [f"{type(error).__name__}: {error}"]}) from error
    given = {key: str(value) for key, value in (context.get("personal") or {}).items() if value is not None}
    values = {**example_values(rendered.personal_keys, site), **given, **(personal or {})}
    return as_read(rendered, values)


def example_values(keys: Iterable[str], site: Site) -> dict[str, str]:
    """Values for a preview's placeholders that lead nowhere personal."""
    values = {"name": "", "email": EXAMPLE_EMAIL}
    for key in keys:
        if key not in values:
            values[key] = f"{site.base_url}/" if key.endswith("_url") else ""
    return values
