"""Sending a mailing (an event's announcement or a week's digest), expanded into mailer batches step by step.

The same durable way as a newsletter issue (`newsletter.operations.sending`): each step, in one
transaction, locks the mailing, checks the step's cursor is the mailing's cursor (a repeated or stale
message does nothing), takes the next subscribers by id, writes one `AnnouncementDelivery` per subscriber
(unique per mailing and subscriber), one SEND_BATCH per language, moves the cursor and writes the next
step's message. The mailer caps the rate; the actor keeps at most IN_FLIGHT_WINDOW recipients unsent at
the mailer, so pause and cancel take effect within about two batches.

A mailing is "sent" once every recipient is with the mailer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.subscriptions.announcements import emails
from services.subscriptions.announcements.models import (
    EACH,
    WEEKLY,
    AnnouncementDelivery,
    AnnouncementMailing,
    MailingKind,
    MailingStatus,
)
from services.subscriptions.announcements.operations.choices import audience
from services.subscriptions.announcements.operations.content import mailing_context
from services.subscriptions.subscribers.models import Subscriber
from shared.contract import Route
from shared.db import utcnow
from shared.errors import Conflict, NotFound
from shared.outbox import enqueue

# One expansion step (internal to this service): {mailing_id, after_id, step}, see actors.ExpandStep.
EXPAND_STEP = Route("subscriptions.announcement_expand", "subscriptions")
BATCH_SIZE = 200
IN_FLIGHT_WINDOW = 2 * BATCH_SIZE


def _eligible(mailing: AnnouncementMailing) -> Any:
    return audience(EACH if mailing.kind is MailingKind.EACH else WEEKLY)


def start(session: Session, mailing: AnnouncementMailing) -> None:
    """The mailing goes out: its recipients are counted and the first expansion step is written."""
    mailing.status, mailing.last_subscriber_id, mailing.handed_over_at = MailingStatus.SENDING, 0, None
    mailing.total = session.scalar(select(func.count()).select_from(Subscriber).where(_eligible(mailing))) or 0
    session.flush()
    _next_step(session, mailing)


def _next_step(session: Session, mailing: AnnouncementMailing) -> None:
    enqueue(session, EXPAND_STEP, {"mailing_id": mailing.id, "after_id": mailing.last_subscriber_id,
                                   "step": str(uuid.uuid4())})


def expand_step(session: Session, mailing_id: int, after_id: int, *, batch_size: int | None = None) -> bool:
    """One batch of recipients handed to the mailer; False when the step is stale and did nothing."""
    batch_size = batch_size or BATCH_SIZE
    mailing = session.get(AnnouncementMailing, mailing_id, with_for_update=True)
    if (mailing is None or mailing.status is not MailingStatus.SENDING or mailing.handed_over_at is not None
            or mailing.last_subscriber_id != after_id):
        return False
    subscribers = list(session.scalars(select(Subscriber).where(_eligible(mailing), Subscriber.id > after_id)
                                       .order_by(Subscriber.id).limit(batch_size)))
    handed = set(session.scalars(select(AnnouncementDelivery.subscriber_id).where(
        AnnouncementDelivery.mailing_id == mailing.id,
        AnnouncementDelivery.subscriber_id.in_([subscriber.id for subscriber in subscribers]))))
    by_language: dict[str, list[Subscriber]] = defaultdict(list)
    for subscriber in subscribers:
        if subscriber.id not in handed:
            by_language[subscriber.language].append(subscriber)
    primary = str(current_app.config["PRIMARY_LANGUAGE"])
    for language, group in by_language.items():
        _hand_over(session, mailing, language, group, mailing_context(session, mailing, language, primary))
    if subscribers:
        mailing.last_subscriber_id = subscribers[-1].id
    if len(subscribers) < batch_size:
        mailing.total = delivery_count(session, mailing.id)
        mailing.status, mailing.handed_over_at = MailingStatus.SENT, utcnow()
    else:
        _next_step(session, mailing)
    session.flush()
    return True


def _hand_over(session: Session, mailing: AnnouncementMailing, language: str, group: list[Subscriber],
               context: dict[str, Any]) -> None:
    if mailing.kind is MailingKind.DIGEST and not context.get("events"):
        return  # no events in the week: no mail (and nobody counted as handed over)
    for subscriber in group:
        session.add(AnnouncementDelivery(mailing_id=mailing.id, subscriber_id=subscriber.id, language=language))
    emails.batch(session, mailing, language, context, group)


def delivery_count(session: Session, mailing_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AnnouncementDelivery)
                          .where(AnnouncementDelivery.mailing_id == mailing_id)) or 0


def in_flight(session: Session, mailing_id: int) -> tuple[str, int] | None:
    """(campaign, recipients handed to the mailer so far) of a mailing that is sending; None otherwise."""
    mailing = session.get(AnnouncementMailing, mailing_id)
    if mailing is None or mailing.status is not MailingStatus.SENDING:
        return None
    return emails.campaign(mailing), delivery_count(session, mailing.id)


# --- the coordinator's pause, resume and cancel (of an event's announcement) ----------------------------

def mailing_of(session: Session, announcement_id: int, *, lock: bool = False) -> AnnouncementMailing:
    query = select(AnnouncementMailing).where(AnnouncementMailing.announcement_id == announcement_id)
    mailing = session.scalar(query.with_for_update() if lock else query)
    if mailing is None:
        raise NotFound("There is no such announcement.")
    return mailing


def _ensure_not_handed_over(mailing: AnnouncementMailing) -> None:
    if mailing.handed_over_at is not None:
        raise Conflict("Every message is already with the mailer: the announcement can no longer be paused "
                       "or cancelled.")


def pause(session: Session, announcement_id: int) -> AnnouncementMailing:
    mailing = mailing_of(session, announcement_id, lock=True)
    _ensure_not_handed_over(mailing)
    if mailing.status is not MailingStatus.SENDING:
        raise Conflict(f"Only an announcement that is sending can be paused; this one is {mailing.status.value}.")
    mailing.status = MailingStatus.PAUSED
    session.flush()
    return mailing


def resume(session: Session, announcement_id: int) -> AnnouncementMailing:
    mailing = mailing_of(session, announcement_id, lock=True)
    if mailing.status is not MailingStatus.PAUSED:
        raise Conflict(f"Only a paused announcement can be resumed; this one is {mailing.status.value}.")
    mailing.status = MailingStatus.SENDING
    _next_step(session, mailing)
    session.flush()
    return mailing


def cancel(session: Session, announcement_id: int) -> AnnouncementMailing:
    """Stops a sending or paused announcement; what the mailer already has still goes out."""
    mailing = mailing_of(session, announcement_id, lock=True)
    _ensure_not_handed_over(mailing)
    if mailing.status not in (MailingStatus.SENDING, MailingStatus.PAUSED):
        raise Conflict(f"An announcement that is {mailing.status.value} cannot be cancelled.")
    mailing.status = MailingStatus.CANCELLED
    mailing.total = delivery_count(session, mailing.id)
    session.flush()
    return mailing
