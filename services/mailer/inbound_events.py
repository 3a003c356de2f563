"""The effects of inbound mail on the mailer's database: mail events, suppressions, unsubscribes.

Plain functions on a Session that may flush and never commit. Each effect is one row in
`mail_events` per message and kind, so a report that arrives twice has its effect once. Also the
per-campaign counts of sent, bounced, complained and unsubscribed messages (for a newsletter issue).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.mailer.inbound_reports import Outcome, Report
from services.mailer.models import Delivery, DeliveryStatus, MailEvent, MailEventKind
from services.mailer.operations import record_suppression
from shared.contract import UNSUBSCRIBE_NOTICE, UnsubscribeNotice, dump_payload
from shared.db import utcnow
from shared.outbox import enqueue


def unsubscribe(session: Session, delivery_id: int) -> bool:
    """The reader of this list message asked to leave by mail. False when there is no such message."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return False
    if _record(session, delivery, MailEventKind.UNSUBSCRIBE, None, None):
        enqueue(session, UNSUBSCRIBE_NOTICE, dump_payload(UnsubscribeNotice, {
            "email_hash": delivery.email_hash, "occurred_at": utcnow()}))
    return True


def apply_report(session: Session, secret_key: str, delivery_id: int, report: Report, *,
                 soft_bounce_limit: int) -> bool:
    """A DSN or complaint about this message. False when it is neither (then it is forwarded)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or report.kind is None:
        return False
    if report.kind == "complaint":
        detail = f"complaint report: {report.feedback_type or 'abuse'}"
        if _record(session, delivery, MailEventKind.COMPLAINT, None, detail):
            _suppress(session, secret_key, delivery, "complaint", detail)
        return True
    failure = report.worst
    if failure is None:
        return True  # a DSN that reports a delivery: nothing to do
    if failure.outcome is Outcome.HARD:
        if _record(session, delivery, MailEventKind.HARD_BOUNCE, failure.status, failure.diagnostic):
            _suppress(session, secret_key, delivery, "hard-bounce", failure.diagnostic or failure.status)
        return True
    if _record(session, delivery, MailEventKind.SOFT_BOUNCE, failure.status, failure.diagnostic):
        bounced = soft_bounced_messages(session, delivery.email_hash)
        if bounced >= soft_bounce_limit:
            _suppress(session, secret_key, delivery, "hard-bounce",
                      f"{bounced} messages soft-bounced; last: {failure.diagnostic or failure.status}")
    return True


def soft_bounced_messages(session: Session, address_hash: str) -> int:
    return session.scalar(select(func.count(distinct(MailEvent.delivery_id))).where(
        MailEvent.email_hash == address_hash, MailEvent.kind == MailEventKind.SOFT_BOUNCE)) or 0


def _record(session: Session, delivery: Delivery, kind: MailEventKind, status: str | None,
            detail: str | None) -> bool:
    """One event per message and kind; False when it was recorded before."""
    try:
        with session.begin_nested():
            session.add(MailEvent(delivery_id=delivery.id, campaign=delivery.campaign, email_hash=delivery.email_hash,
                                  kind=kind, status=status, detail=_redacted(detail, delivery.recipient)))
    except IntegrityError:
        return False
    return True


def _suppress(session: Session, secret_key: str, delivery: Delivery, reason: str, detail: str | None) -> None:
    if delivery.recipient is None:
        return  # the person was erased: the subscriptions service holds nothing to suppress
    record_suppression(session, secret_key=secret_key, email=delivery.recipient, reason=reason,
                       occurred_at=utcnow(), detail=_redacted(detail, delivery.recipient))


def _redacted(detail: str | None, address: str | None) -> str | None:
    """Reports repeat the address; the event and the suppression keep only its hash."""
    if detail is None:
        return None
    if address:
        detail = _replace_case_insensitive(detail, address, "<recipient>")
    return detail[:500]


def _replace_case_insensitive(text: str, old: str, new: str) -> str:
    lowered, needle, start = text.lower(), old.lower(), 0
    parts: list[str] = []
    while (found := lowered.find(needle, start)) != -1:
        parts.extend((text[start:found], new))
        start = found + len(needle)
    return "".join(parts) + text[start:]


def campaign_feedback(session: Session, campaign: str) -> dict[str, Any]:
    """`{campaign, sent, hard_bounced, soft_bounced, complained, unsubscribed}` of one campaign."""
    sent = session.scalar(select(func.count()).where(Delivery.campaign == campaign,
                                                     Delivery.status == DeliveryStatus.SENT)) or 0
    counts = dict.fromkeys(MailEventKind, 0)
    for kind, count in session.execute(select(MailEvent.kind, func.count()).where(MailEvent.campaign == campaign)
                                       .group_by(MailEvent.kind)):
        counts[kind] = count
    return {"campaign": campaign, "sent": sent, "hard_bounced": counts[MailEventKind.HARD_BOUNCE],
            "soft_bounced": counts[MailEventKind.SOFT_BOUNCE], "complained": counts[MailEventKind.COMPLAINT],
            "unsubscribed": counts[MailEventKind.UNSUBSCRIBE]}
