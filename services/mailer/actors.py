"""Actors of the mailer service (imported by the worker; the broker is set in shared.broker)."""

from __future__ import annotations

import logging
from typing import Any

from dramatiq import Retry
from flask import current_app

import services.mailer.app  # noqa: F401 - registers the app factory the actors run in
from services.mailer import privacy
from services.mailer.delivery.claims import LeaseHeld
from services.mailer.delivery.messages import deliver_batch, deliver_one
from services.mailer.delivery.sending import RetryLater, backoff_ms
from services.mailer.log import give_up
from services.mailer.models import db
from shared.broker import actor
from shared.contract import (
    ERASE_PERSON_IN,
    SEND_BATCH,
    SEND_EMAIL,
    EmailBatch,
    EmailRequest,
    ErasePerson,
    InvalidPayload,
    load_payload,
)
from shared.outbox import declare_ack_actor

log = logging.getLogger(__name__)

GAVE_UP = "mailer.delivery_gave_up"
# With 1 s doubling to 5 min between tries, 100 retries keep trying for about eight hours.
RETRY_OPTIONS: dict[str, Any] = {"max_retries": 100, "min_backoff": 1_000, "max_backoff": 300_000,
                                 "on_retry_exhausted": GAVE_UP, "throws": (InvalidPayload,)}

outbox_ack = declare_ack_actor("mailer", db)
ERASE_PERSON = ERASE_PERSON_IN["mailer"]


def _validated(schema: Any, payload: Any, actor_name: str) -> dict[str, Any]:
    try:
        return load_payload(schema, payload)
    except InvalidPayload as error:
        log.error("%s: invalid payload rejected, not retried: %s", actor_name, error)
        raise


def _retry_later(error: Exception, attempt_delay: int) -> Retry:
    return Retry(str(error), delay=attempt_delay)


@actor(SEND_EMAIL.actor, queue_name=SEND_EMAIL.queue, service="mailer", **RETRY_OPTIONS)
def send_email(payload: dict[str, Any]) -> None:
    """One email to one person (EmailRequest). The same idempotency key is sent at most once."""
    request = _validated(EmailRequest, payload, SEND_EMAIL.actor)
    try:
        deliver_one(request)
    except RetryLater as error:
        raise _retry_later(error, error.delay_ms) from error
    except LeaseHeld as error:
        raise _retry_later(error, backoff_ms(3)) from error


@actor(SEND_BATCH.actor, queue_name=SEND_BATCH.queue, service="mailer", time_limit=3_600_000, **RETRY_OPTIONS)
def send_batch(payload: dict[str, Any]) -> None:
    """One rendered message to many people (EmailBatch): one delivery row per recipient key."""
    batch = _validated(EmailBatch, payload, SEND_BATCH.actor)
    try:
        deliver_batch(batch)
    except RetryLater as error:
        raise _retry_later(error, error.delay_ms) from error
    except LeaseHeld as error:
        raise _retry_later(error, backoff_ms(3)) from error


@actor(GAVE_UP, queue_name="mailer", service="mailer", max_retries=20)
def delivery_gave_up(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
    """Retries are exhausted: record every unfinished delivery of that message as failed."""
    args = message.get("args") or [{}]
    payload = args[0] if isinstance(args[0], dict) else {}
    keys = [item.get("idempotency_key") for item in payload.get("recipients", [])] or [payload.get("idempotency_key")]
    reason = f"gave up after {retry_info.get('retries', '?')} retries"
    with db.transaction() as session:
        failed = give_up(session, [key for key in keys if isinstance(key, str)], reason)
    log.warning("%s: %d deliveries failed for good (%s)", message.get("actor_name"), failed, reason)


@actor(ERASE_PERSON.actor, queue_name=ERASE_PERSON.queue, service="mailer", throws=(InvalidPayload,))
def erase_person(payload: dict[str, Any]) -> None:
    """GDPR erasure: no clear-text address or name of this person remains in the mailer."""
    request = _validated(ErasePerson, payload, ERASE_PERSON.actor)
    with db.transaction() as session:
        privacy.erase(session, request["email_hash"], current_app.config["SECRET_KEY"])

