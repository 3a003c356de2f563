"""Demo content for the mailer service (`elo seed-demo`).

The other services' demo flows (subscriptions, registrations) send their emails through the
outbox, so those appear in the test mailbox at /mailer/outbox/ as soon as the worker runs. This
adds one message of the mailer's own, so the mailbox explains itself even before that: the test
message a coordinator sends to check that email works.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mailer.composing import CompiledEmail, Recipient, message_id, sender_domain
from services.mailer.config import site_of
from services.mailer.models import CapturedMail, Delivery, DeliveryStatus
from services.mailer.rendering import render
from shared.db import utcnow
from shared.privacy import email_hash
from shared.settings import Settings, load_settings

DEMO_RECIPIENT = ("Kaisa Koordinaattori", "koordinaattori@elo-verkosto.example")
SWEDISH_REGION_RECIPIENT = ("Karin Björkqvist", "karin.bjorkqvist@ntm-osterbotten.example")


def seed(session: Session) -> None:
    """Add the demo rows; called once, on an empty database."""
    _add_test_message(session, DEMO_RECIPIENT)


def seed_swedish_region(session: Session) -> None:
    """The Swedish-first region's test message (run inside that network: its language, From and address)."""
    _add_test_message(session, SWEDISH_REGION_RECIPIENT)


def _add_test_message(session: Session, recipient: tuple[str, str]) -> None:
    settings: Settings = current_app.config["ELO_SETTINGS"] if has_app_context() else load_settings()
    name, address = recipient
    key = "demo:mailer-test-message:1"
    if session.scalar(select(Delivery.id).where(Delivery.idempotency_key == key)) is not None:
        return
    now = utcnow()
    rendered = render("mailer-test-message", settings.primary_language,
                      {"sent_by": name, "sent_at": now.isoformat()},
                      site_of(settings), list_mail=False)
    compiled = CompiledEmail(rendered, mail_from=settings.mail_from)
    raw = compiled.build(Recipient(email=address, name=name, idempotency_key=key, personal={}))
    hashed = email_hash(settings.secret_key, address)
    session.add(Delivery(idempotency_key=key, template="mailer-test-message", language=settings.primary_language,
                         recipient=address, email_hash=hashed, origin="mailer", status=DeliveryStatus.SENT,
                         attempts=1, message_id=message_id(key, sender_domain(settings.mail_from)), sent_at=now))
    session.add(CapturedMail(idempotency_key=key, recipient=address, email_hash=hashed,
                             subject=compiled.subject_for({"name": name, "email": address}),
                             template="mailer-test-message", language=settings.primary_language, raw=raw))
    session.flush()
