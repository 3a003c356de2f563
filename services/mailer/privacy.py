"""The mailer's part of a person's GDPR export and erasure."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.mailer.models import CapturedMail, Delivery, Suppression
from shared.contract import SUPPRESSION_NOTICE
from shared.models import OutboxMessage
from shared.privacy import email_hash, forget_in_outbox, normalise_email


def export(session: Session, *, secret_key: str, email: str) -> dict[str, Any]:
    """Everything the mailer holds about `email` (GDPR export)."""
    return export_by_hash(session, email_hash(secret_key, email))


def holds(session: Session, hashed: str) -> bool:
    """Whether the mailer still holds the address with this keyed hash in clear (a delivery or captured mail);
    after an erasure it does not, though the hashed delivery counts and suppression stay."""
    delivery = select(Delivery.id).where(Delivery.email_hash == hashed, Delivery.recipient.is_not(None)).limit(1)
    captured = select(CapturedMail.id).where(CapturedMail.email_hash == hashed).limit(1)
    return session.scalar(delivery) is not None or session.scalar(captured) is not None


def export_by_hash(session: Session, hashed: str) -> dict[str, Any]:
    """Everything the mailer holds about the address with this keyed hash (GDPR export)."""
    deliveries = session.scalars(select(Delivery).where(Delivery.email_hash == hashed).order_by(Delivery.id)).all()
    suppressions = session.scalars(select(Suppression).where(Suppression.email_hash == hashed)).all()
    return {
        "deliveries": [{
            "email": row.recipient, "template": row.template, "language": row.language, "campaign": row.campaign,
            "status": row.status.value, "attempts": row.attempts, "created_at": row.created_at.isoformat(),
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        } for row in deliveries],
        "suppressions": [{"reason": row.reason.value, "occurred_at": row.occurred_at.isoformat()}
                         for row in suppressions],
    }


def erase(session: Session, hashed: str, secret_key: str) -> int:
    """Remove clear-text addresses of the person with this email hash from every mailer table.

    Delivery rows stay (counts of campaigns stay right) without the address; captured mail is
    deleted; outbox messages mentioning the address are forgotten. The suppression keeps only
    the hash, so an erased person who hard-bounced still gets no list mail.
    """
    addresses = {address for address in session.scalars(select(Delivery.recipient)
                                                         .where(Delivery.email_hash == hashed)) if address}
    addresses.update(session.scalars(select(CapturedMail.recipient).where(CapturedMail.email_hash == hashed)))
    session.execute(update(Delivery).where(Delivery.email_hash == hashed).values(recipient=None, last_error=None))
    _forget_in_keys(session, hashed, addresses)
    session.execute(delete(CapturedMail).where(CapturedMail.email_hash == hashed))
    for row in session.scalars(select(OutboxMessage).where(OutboxMessage.actor_name == SUPPRESSION_NOTICE.actor)):
        address = row.payload.get("email")
        if isinstance(address, str) and email_hash(secret_key, address) == hashed:
            addresses.add(address)
    for address in addresses:
        forget_in_outbox(session, address)
    return len(addresses)


def _forget_in_keys(session: Session, hashed: str, addresses: set[str]) -> None:
    """A sender may have put the address in its idempotency key; keep the key unique, drop the address."""
    lowered = {normalise_email(address) for address in addresses}
    for row in session.scalars(select(Delivery).where(Delivery.email_hash == hashed)):
        if any(address in row.idempotency_key.lower() for address in lowered):
            row.idempotency_key = "erased:" + hashlib.sha256(row.idempotency_key.encode()).hexdigest()
