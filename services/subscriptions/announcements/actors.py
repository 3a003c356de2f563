"""Actors of the announcements part: an announced event arrives from the events service, and the
resumable expansion of a mailing into mailer batches."""

from __future__ import annotations

from typing import Any

from dramatiq.errors import Retry
from marshmallow import fields

from services.subscriptions.announcements.operations import receiving, sending
from services.subscriptions.models import db
from services.subscriptions.newsletter.operations.progress import unfinished
from shared.broker import actor
from shared.contract import EVENT_ANNOUNCED, ContractSchema, EventAnnounced, InvalidPayload, load_payload

MAX_RETRIES = 20
WINDOW_WAIT_MS = 1000


class ExpandStep(ContractSchema):
    mailing_id = fields.Integer(required=True)
    after_id = fields.Integer(required=True)
    step = fields.String(required=True)


class WindowFull(Retry):
    """The mailer still has a full window of this mailing's recipients: try the step again shortly."""


def _retry_when(retries: int, error: BaseException) -> bool:
    """Waiting for the mailer never runs out; real errors are retried MAX_RETRIES times."""
    return isinstance(error, WindowFull) or retries < MAX_RETRIES


@actor(EVENT_ANNOUNCED, service="subscriptions", throws=(InvalidPayload,))
def event_announced(payload: dict[str, Any]) -> None:
    """Store the event once and start its mailing; a message delivered again changes nothing."""
    event = load_payload(EventAnnounced, payload)
    with db.transaction() as session:
        receiving.receive(session, event)


@actor(sending.EXPAND_STEP, service="subscriptions", throws=(InvalidPayload,), retry_when=_retry_when,
       min_backoff=1000, max_backoff=60_000)
def announcement_expand(payload: dict[str, Any]) -> None:
    """One expansion step; a repeated or stale step changes nothing (the cursor decides)."""
    step = load_payload(ExpandStep, payload)
    if _in_flight(step["mailing_id"]) >= sending.IN_FLIGHT_WINDOW:
        raise WindowFull(delay=WINDOW_WAIT_MS)
    with db.transaction() as session:
        sending.expand_step(session, step["mailing_id"], step["after_id"])


def _in_flight(mailing_id: int) -> int:
    """Recipients of the mailing the mailer has not finished; asked with no transaction open here."""
    with db.transaction() as session:
        handed = sending.in_flight(session, mailing_id)
    return unfinished(*handed) if handed else 0
