"""Actors of the newsletter part: the resumable expansion of an issue into mailer batches, and the wait for
the mailer to finish them before the issue counts as sent."""

from __future__ import annotations

from typing import Any

from dramatiq.errors import Retry
from marshmallow import fields

from services.subscriptions.models import db
from services.subscriptions.newsletter.operations import completion, progress, sending
from shared.broker import actor
from shared.contract import ContractSchema, InvalidPayload, load_payload

MAX_RETRIES = 20
WINDOW_WAIT_MS = 1000
FINISH_WAIT_MS = 2000


class ExpandStep(ContractSchema):
    issue_id = fields.Integer(required=True)
    after_id = fields.Integer(required=True)
    step = fields.String(required=True)


class FinishCheck(ContractSchema):
    issue_id = fields.Integer(required=True)


class WindowFull(Retry):
    """The mailer still has a full window of this issue's recipients: try the step again shortly."""


class NotFinished(Retry):
    """The mailer has not yet sent, failed or suppressed every recipient of the issue: look again shortly."""


def _retry_when(retries: int, error: BaseException) -> bool:
    """Waiting for the mailer never runs out; real errors are retried MAX_RETRIES times."""
    return isinstance(error, WindowFull | NotFinished) or retries < MAX_RETRIES


@actor(sending.EXPAND_STEP.actor, queue_name=sending.EXPAND_STEP.queue, service="subscriptions",
       throws=(InvalidPayload,), retry_when=_retry_when, min_backoff=1000, max_backoff=60_000)
def newsletter_expand(payload: dict[str, Any]) -> None:
    """One expansion step; a repeated or stale step changes nothing (the cursor decides)."""
    step = load_payload(ExpandStep, payload)
    if _in_flight(step["issue_id"]) >= sending.IN_FLIGHT_WINDOW:
        raise WindowFull(delay=WINDOW_WAIT_MS)
    with db.transaction() as session:
        sending.expand_step(session, step["issue_id"], step["after_id"])


def _in_flight(issue_id: int) -> int:
    """Recipients of the issue the mailer has not finished; asked with no transaction open here."""
    with db.transaction() as session:
        handed = sending.handed_over(session, issue_id)
    return progress.unfinished(*handed) if handed else 0


@actor(completion.FINISH_CHECK.actor, queue_name=completion.FINISH_CHECK.queue, service="subscriptions",
       throws=(InvalidPayload,), retry_when=_retry_when, min_backoff=1000, max_backoff=60_000)
def newsletter_finish(payload: dict[str, Any]) -> None:
    """The issue becomes sent once the mailer is done with every recipient; until then this looks again."""
    issue_id = load_payload(FinishCheck, payload)["issue_id"]
    with db.transaction() as session:
        awaited = completion.awaited(session, issue_id)
    if awaited is None:
        return
    campaign_name, recipients = awaited
    counts = progress.campaign_counts(campaign_name)  # asked with no transaction open here
    if counts is None or counts.finished < recipients:
        raise NotFinished(delay=FINISH_WAIT_MS)
    with db.transaction() as session:
        completion.finish(session, issue_id, counts)
