"""Actors of the subscribers part."""

from __future__ import annotations

from typing import Any

from services.subscriptions.models import db
from services.subscriptions.subscribers import operations
from shared.broker import actor
from shared.contract import SUPPRESSION_NOTICE, InvalidPayload, SuppressionNotice, load_payload

SUPPRESSION_ACTOR, SUPPRESSION_QUEUE = SUPPRESSION_NOTICE


@actor(SUPPRESSION_ACTOR, queue_name=SUPPRESSION_QUEUE, service="subscriptions", throws=(InvalidPayload,))
def suppression_notice(payload: dict[str, Any]) -> None:
    """The mailer reports a hard bounce or a complaint: the address gets no more mail (idempotent)."""
    notice = load_payload(SuppressionNotice, payload)
    with db.transaction() as session:
        operations.suppress(session, notice["email"], notice["reason"])
