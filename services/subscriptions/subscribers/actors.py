"""Actors of the subscribers part."""

from __future__ import annotations

from typing import Any

from services.subscriptions.models import db
from services.subscriptions.subscribers import privacy
from services.subscriptions.subscribers.operations import consent
from shared.broker import actor
from shared.contract import (
    SUPPRESSION_NOTICE,
    UNSUBSCRIBE_NOTICE,
    InvalidPayload,
    SuppressionNotice,
    UnsubscribeNotice,
    load_payload,
)


@actor(SUPPRESSION_NOTICE.actor, queue_name=SUPPRESSION_NOTICE.queue, service="subscriptions",
       throws=(InvalidPayload,))
def suppression_notice(payload: dict[str, Any]) -> None:
    """The mailer reports a hard bounce or a complaint: the address gets no more mail (idempotent)."""
    notice = load_payload(SuppressionNotice, payload)
    with db.transaction() as session:
        consent.suppress(session, notice["email"], notice["reason"])


@actor(UNSUBSCRIBE_NOTICE.actor, queue_name=UNSUBSCRIBE_NOTICE.queue, service="subscriptions",
       throws=(InvalidPayload,))
def unsubscribe_notice(payload: dict[str, Any]) -> None:
    """The mailer received a signed mailto unsubscribe: as the one-click link does (idempotent)."""
    notice = load_payload(UnsubscribeNotice, payload)
    with db.transaction() as session:
        subscriber = privacy.subscriber_of(session, notice["email_hash"], lock=True)
        if subscriber is not None:
            consent.unsubscribe(session, subscriber)


@actor(consent.SUBSCRIBE_STEP.actor, queue_name=consent.SUBSCRIBE_STEP.queue, service="subscriptions",
       throws=(InvalidPayload,))
def subscribe(payload: dict[str, Any]) -> None:
    """A subscribe request the API or the form recorded: double opt-in (a repeat within minutes sends nothing)."""
    with db.transaction() as session:
        consent.subscribe_step(session, payload)
