"""Consent use-cases: subscribe (double opt-in), confirm, change, unsubscribe, bounces and complaints.

Plain functions on a Session that flush, never commit. Every change of consent writes a
ConsentEvent; every email is an outbox row written in the same transaction (see `emails`),
so it goes out exactly when the change is committed.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from marshmallow import fields, validate
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.subscriptions.subscribers import emails
from services.subscriptions.subscribers.models import (
    CONSENT_WORDING_VERSION,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)
from services.subscriptions.subscribers.operations import intake
from shared.contract import ContractSchema, Route, load_payload
from shared.db import utcnow
from shared.privacy import email_hash, normalise_email
from shared.ratelimit import check_rate

CONFIRMATIONS_PER_DAY = 3
REPEAT_WINDOW = dt.timedelta(minutes=10)
NOT_MAILABLE = (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED)
# Requests to subscribe per client IP and per address in a window of seconds (app config overrides).
RATE_LIMITS = {"SUBSCRIBE_LIMIT_PER_IP": 30, "SUBSCRIBE_LIMIT_PER_ADDRESS": 10, "SUBSCRIBE_LIMIT_WINDOW": 3600}


@dataclass(frozen=True)
class SubscriptionRequest:
    email: str
    language: str
    topics: tuple[str, ...]
    name: str | None = None
    organisation: str | None = None

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> SubscriptionRequest:
        """From `schemas.SubscriptionIn`'s loaded data."""
        return cls(email=data["email"], language=data["language"], topics=tuple(data["topics"]),
                   name=data.get("name"), organisation=data.get("organisation"))


class ConfirmOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already-confirmed"
    NOT_PENDING = "not-pending"  # unsubscribed or undeliverable since the link was sent


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def hash_of(email: str) -> str:
    return email_hash(_secret(), email)


def record_consent(session: Session, subscriber: Subscriber, action: ConsentAction, source: ConsentSource) -> None:
    session.add(ConsentEvent(subscriber=subscriber, email_hash=subscriber.email_hash, action=action, source=source,
                             wording_version=subscriber.consent_wording_version, language=subscriber.language,
                             topics=" ".join(subscriber.topic_names), occurred_at=utcnow()))


def find_by_email(session: Session, email: str, *, lock: bool = False) -> Subscriber | None:
    query = select(Subscriber).where(Subscriber.email_hash == hash_of(email))
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


# --- subscribe and confirm ----------------------------------------------------------------------

def limit_per_ip(address: str | None) -> None:
    """`TooManyRequests` when this client asked to subscribe too often (checked before the body is read)."""
    check_rate(f"subscribe:ip:{address}", _limit("SUBSCRIBE_LIMIT_PER_IP"), _limit("SUBSCRIBE_LIMIT_WINDOW"))


def limit_per_address(email: str) -> None:
    check_rate(f"subscribe:address:{hash_of(email)}", _limit("SUBSCRIBE_LIMIT_PER_ADDRESS"),
               _limit("SUBSCRIBE_LIMIT_WINDOW"))


def _limit(name: str) -> int:
    return int(current_app.config.get(name, RATE_LIMITS[name]))


# The subscribe request as recorded by the API and the form; the `subscriptions.subscribe` actor does the rest.
SUBSCRIBE_STEP = Route("subscriptions.subscribe", "subscriptions")


class SubscribeStep(ContractSchema):
    email = fields.Email(required=True)
    language = fields.String(required=True)
    topics = fields.List(fields.String(), required=True)
    name = fields.String(load_default=None, allow_none=True)
    organisation = fields.String(load_default=None, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf([s.value for s in ConsentSource]))


def request_subscription(session: Session, request: SubscriptionRequest, source: ConsentSource, *,
                         honeypot: str | None = None) -> None:
    """The form's or the API's request after validation: limited per address; a filled honeypot does nothing.

    The request is only recorded (one outbox row committed before the answer, and its message: `intake`) and
    the worker subscribes: the answer then takes the same work, and so the same time, for a new, a pending and a
    subscribed address. (App config `SUBSCRIBE_IN_WORKER`, default on outside tests; off, the request
    subscribes here.)"""
    limit_per_address(request.email)
    if honeypot:
        return
    if not current_app.config.get("SUBSCRIBE_IN_WORKER", not current_app.testing):
        subscribe(session, request, source)
        return
    # Already validated (SubscriptionIn, a superset of SubscribeStep's rules): plain JSON values as they are;
    # the worker loads the payload with SubscribeStep (`subscribe_step`).
    intake.record(session, SUBSCRIBE_STEP, {
        "email": request.email, "language": request.language, "topics": list(request.topics), "name": request.name,
        "organisation": request.organisation, "source": source.value})


def subscribe_step(session: Session, payload: Mapping[str, Any]) -> None:
    """The worker's part of a recorded request (`SUBSCRIBE_STEP`)."""
    step = load_payload(SubscribeStep, payload)
    subscribe(session, SubscriptionRequest.from_input(step), ConsentSource(step["source"]))


def subscribe(session: Session, request: SubscriptionRequest, source: ConsentSource) -> None:
    """Double opt-in. The caller answers the same whatever happens here, so nothing leaks.
    An address that complained is left as it is and gets nothing: anyone may have typed it."""
    subscriber = find_by_email(session, request.email, lock=True)
    if _complained(session, subscriber, request.email):
        return
    if subscriber is None:
        subscriber = _insert_pending(session, request, source)
        if subscriber is not None:
            record_consent(session, subscriber, ConsentAction.SUBSCRIBE, source)
            _send_limited(session, subscriber, emails.CONFIRM)
            return
        subscriber = find_by_email(session, request.email, lock=True)  # a parallel request inserted it first
        if subscriber is None:
            return
    _subscribe_again(session, subscriber, request, source)


def _complained(session: Session, subscriber: Subscriber | None, email: str) -> bool:
    if subscriber is not None:
        return subscriber.status == SubscriberStatus.COMPLAINED
    suppression = session.get(Suppression, hash_of(email))
    return suppression is not None and suppression.reason == SuppressionReason.COMPLAINED


def _subscribe_again(session: Session, subscriber: Subscriber, request: SubscriptionRequest,
                     source: ConsentSource) -> None:
    if _repeated_moments_after(subscriber, request):
        return  # a double click or a client's retry: the email already on its way answers it
    if subscriber.status == SubscriberStatus.CONFIRMED:
        _send_limited(session, subscriber, emails.ALREADY_SUBSCRIBED)
        return
    _renew_request(subscriber, request)
    record_consent(session, subscriber, ConsentAction.SUBSCRIBE, source)
    _send_limited(session, subscriber, emails.CONFIRM)


def _repeated_moments_after(subscriber: Subscriber, request: SubscriptionRequest) -> bool:
    """The same request again within REPEAT_WINDOW of the last email it caused."""
    last = subscriber.last_confirmation_at
    if last is None or utcnow() - last >= REPEAT_WINDOW:
        return False
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return True
    return (subscriber.status == SubscriberStatus.PENDING and subscriber.language == request.language
            and set(subscriber.topic_names) == set(request.topics)
            and request.name in (None, "", subscriber.name)
            and request.organisation in (None, "", subscriber.organisation))


def _insert_pending(session: Session, request: SubscriptionRequest, source: ConsentSource) -> Subscriber | None:
    subscriber = Subscriber(email=normalise_email(request.email), email_hash=hash_of(request.email),
                            name=request.name, organisation=request.organisation, language=request.language,
                            status=SubscriberStatus.PENDING, source=source,
                            consent_wording_version=CONSENT_WORDING_VERSION)
    subscriber.set_topics(request.topics)
    try:
        with session.begin_nested():
            session.add(subscriber)
    except IntegrityError:
        return None
    return subscriber


def _renew_request(subscriber: Subscriber, request: SubscriptionRequest) -> None:
    """A pending or departed subscriber asks again: their newest choice waits for confirmation."""
    subscriber.status = SubscriberStatus.PENDING
    subscriber.language = request.language
    subscriber.consent_wording_version = CONSENT_WORDING_VERSION
    subscriber.set_topics(request.topics)
    if request.name:
        subscriber.name = request.name
    if request.organisation:
        subscriber.organisation = request.organisation


def _send_limited(session: Session, subscriber: Subscriber, template: str) -> None:
    """At most CONFIRMATIONS_PER_DAY such emails per address per day; beyond that, silently none."""
    today = utcnow().date()
    if subscriber.confirmations_day != today:
        subscriber.confirmations_day = today
        subscriber.confirmations_sent = 0
    if subscriber.confirmations_sent >= CONFIRMATIONS_PER_DAY:
        return
    subscriber.confirmations_sent += 1
    subscriber.last_confirmation_at = utcnow()
    session.flush()
    if template == emails.CONFIRM:
        emails.confirmation_request(session, subscriber, today, subscriber.confirmations_sent)
    else:
        emails.already_subscribed(session, subscriber, today, subscriber.confirmations_sent)


def confirm(session: Session, subscriber: Subscriber, source: ConsentSource = ConsentSource.EMAIL) -> ConfirmOutcome:
    """Confirm a pending subscriber (the caller locked the row); a second click changes nothing."""
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return ConfirmOutcome.ALREADY_CONFIRMED
    if subscriber.status != SubscriberStatus.PENDING:
        return ConfirmOutcome.NOT_PENDING
    _make_confirmed(session, subscriber, source)
    return ConfirmOutcome.CONFIRMED


def _make_confirmed(session: Session, subscriber: Subscriber, source: ConsentSource) -> None:
    now = utcnow()
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.last_confirmation_at = None  # asking again now deserves the "already subscribed" email
    session.execute(delete(Suppression).where(Suppression.email_hash == subscriber.email_hash))
    record_consent(session, subscriber, ConsentAction.CONFIRM, source)
    session.flush()
    emails.welcome(session, subscriber, now)


def resubscribe(session: Session, subscriber: Subscriber) -> None:
    """From the preference centre: the link came to this mailbox, so no second confirmation is needed."""
    if subscriber.status != SubscriberStatus.CONFIRMED:
        _make_confirmed(session, subscriber, ConsentSource.EMAIL)


# --- preferences, unsubscribe -------------------------------------------------------------------

def change_preferences(session: Session, subscriber: Subscriber, *, language: str, topics: Iterable[str]) -> bool:
    """True when something changed (and was logged)."""
    wanted = sorted(set(topics))
    if subscriber.language == language and subscriber.topic_names == wanted:
        return False
    subscriber.language = language
    subscriber.set_topics(wanted)
    record_consent(session, subscriber, ConsentAction.CHANGE, ConsentSource.EMAIL)
    return True


def unsubscribe(session: Session, subscriber: Subscriber, source: ConsentSource = ConsentSource.EMAIL) -> None:
    """Idempotent: unsubscribing twice logs once. Bounced and complained addresses stay as they are."""
    if subscriber.status in NOT_MAILABLE:
        return
    subscriber.status = SubscriberStatus.UNSUBSCRIBED
    subscriber.unsubscribed_at = utcnow()
    record_consent(session, subscriber, ConsentAction.UNSUBSCRIBE, source)


# --- bounces and complaints ---------------------------------------------------------------------

def suppress(session: Session, email: str, reason: str) -> None:
    """The mailer reports a hard bounce or complaint: no more mail to this address."""
    address_hash = hash_of(email)
    status, suppression, action = (
        (SubscriberStatus.COMPLAINED, SuppressionReason.COMPLAINED, ConsentAction.COMPLAINT)
        if reason == "complaint"
        else (SubscriberStatus.BOUNCED, SuppressionReason.BOUNCED, ConsentAction.BOUNCE)
    )
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email_hash == address_hash).with_for_update())
    if subscriber is not None and subscriber.status != status:
        subscriber.status = status
        record_consent(session, subscriber, action, ConsentSource.MAILER)
    existing = session.get(Suppression, address_hash, with_for_update=True)
    if existing is None:
        try:
            with session.begin_nested():
                session.add(Suppression(email_hash=address_hash, reason=suppression))
        except IntegrityError:
            return
    elif existing.reason != SuppressionReason.ERASED:
        existing.reason = suppression
