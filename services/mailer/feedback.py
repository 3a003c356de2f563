"""What came back from a campaign's messages, for its coordinator: the counts of `inbound_events`
and, per kind, the addresses masked (`a***@example.fi`).

A campaign is any key a sender gives its messages: a newsletter issue (`issue-12`), an event
announcement, … The addresses of erased people are no longer held: they are counted, not listed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mailer.inbound_events import campaign_feedback
from services.mailer.models import Delivery, MailEvent, MailEventKind

# At most this many addresses per kind: the count tells how many there are in all.
ADDRESS_LIMIT = 100

KIND_KEYS = {MailEventKind.HARD_BOUNCE: "hard_bounced", MailEventKind.SOFT_BOUNCE: "soft_bounced",
             MailEventKind.COMPLAINT: "complained", MailEventKind.UNSUBSCRIBE: "unsubscribed"}


def masked_address(address: str) -> str:
    """`aino.virtanen@example.fi` → `a***@example.fi`: the domain stays, as a typo there is a common
    cause of bounces; the rest of the mailbox name and its length are hidden."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def feedback_with_addresses(session: Session, campaign: str) -> dict[str, Any]:
    """`{campaign, sent, hard_bounced, soft_bounced, complained, unsubscribed, addresses: {kind: [masked]}}`."""
    return {**campaign_feedback(session, campaign),
            "addresses": {key: _masked_addresses(session, campaign, kind) for kind, key in KIND_KEYS.items()}}


def _masked_addresses(session: Session, campaign: str, kind: MailEventKind) -> list[str]:
    recipients = session.scalars(
        select(Delivery.recipient).join(MailEvent, MailEvent.delivery_id == Delivery.id)
        .where(MailEvent.campaign == campaign, MailEvent.kind == kind, Delivery.recipient.is_not(None))
        .order_by(MailEvent.occurred_at, MailEvent.id).limit(ADDRESS_LIMIT))
    return [masked_address(recipient) for recipient in recipients if recipient]
