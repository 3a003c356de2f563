"""Inbound mail through a real listener: DSNs (Postfix, Exim, Gmail, Microsoft), an ARF complaint,
signed and forged mailto unsubscribes, and forwarding to the coordinator."""

from __future__ import annotations

import dataclasses
import smtplib
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from services.mailer.inbound import InboundListener, start_listener
from services.mailer.inbound_addresses import BOUNCES, UNSUBSCRIBE, read_address, signed_address
from services.mailer.inbound_events import campaign_feedback
from services.mailer.models import Delivery, MailEvent, MailEventKind, Suppression, db
from services.subscriptions.models import db as subscriptions_db
from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
from shared.privacy import email_hash
from shared.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.mailer.conftest import email_request, smtp_controller, use_mail_settings
from tests.subscriptions.conftest import make_subscriber

SAMPLES = Path(__file__).parent / "inbound_samples"
DOMAIN = "elo.example"
COORDINATOR = "koordinaattori@elo.example"
READER = "aino.virtanen@example.fi"


@dataclasses.dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> Any:
        return message_from_bytes(self.raw, policy=policy.default)


class EnvelopeSink:
    """The SMTP relay: keeps each message with its envelope."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        return "250 OK"


@dataclasses.dataclass
class Inbound:
    settings: Settings
    listener: InboundListener
    relay: EnvelopeSink

    def send(self, recipient: str, data: bytes, sender: str = "") -> None:
        with smtplib.SMTP("127.0.0.1", self.listener.port, timeout=30) as client:
            client.sendmail(sender, [recipient], data)


@pytest.fixture
def inbound(apps: dict[str, Flask]) -> Iterator[Inbound]:
    relay = EnvelopeSink()
    controller = smtp_controller(relay)
    settings = use_mail_settings(apps, smtp_url=f"smtp://127.0.0.1:{controller.port}", inbound_port=2525,
                                 inbound_domain=DOMAIN, contact_email=COORDINATOR, soft_bounce_limit=2,
                                 mail_from="ELO-verkosto <noreply@elo.example>")
    listener = start_listener(settings, host="127.0.0.1", port=0)
    yield Inbound(settings, listener, relay)
    listener.stop()
    controller.stop()


def list_message(send_email: Callable[[dict[str, Any]], None], drain: Callable[..., None], inbound: Inbound,
                 key: str, **extra: Any) -> Received:
    """One list message sent through the mailer to READER; what the relay got."""
    send_email(email_request(key, email=READER, list_mail=True, **extra))
    drain()
    return inbound.relay.received[-1]


def sample(name: str, sent: Received) -> bytes:
    text = (SAMPLES / name).read_text()
    filled = (text.replace("{bounce_address}", sent.mail_from).replace("{recipient}", READER)
              .replace("{message_id}", str(sent.message["Message-ID"])))
    return filled.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def events(kind: MailEventKind | None = None) -> list[MailEvent]:
    with db.transaction() as session:
        query = select(MailEvent).order_by(MailEvent.id)
        return list(session.scalars(query.where(MailEvent.kind == kind) if kind else query))


def suppressed(address: str) -> Suppression | None:
    with db.transaction() as session:
        return session.scalar(select(Suppression).where(Suppression.email_hash == email_hash(TEST_SECRET_KEY, address)))


def subscriber_status(subscriber_id: int) -> SubscriberStatus:
    with subscriptions_db.transaction() as session:
        subscriber = session.get(Subscriber, subscriber_id)
        assert subscriber is not None
        return subscriber.status


# --- what goes out ---------------------------------------------------------------------------------------

def test_each_message_has_its_own_signed_bounce_and_unsubscribe_address(inbound: Inbound, send_email: Any,
                                                                        drain: Any) -> None:
    sent = list_message(send_email, drain, inbound, "inbound-out:1")
    with db.transaction() as session:
        delivery = session.scalar(select(Delivery).where(Delivery.idempotency_key == "inbound-out:1"))
        assert delivery is not None
    assert sent.mail_from == signed_address(TEST_SECRET_KEY, BOUNCES, delivery.id, DOMAIN)
    assert read_address(TEST_SECRET_KEY, sent.mail_from.upper()) == (BOUNCES, delivery.id)
    assert len(sent.mail_from.partition("@")[0]) <= 64
    unsubscribe = " ".join(str(sent.message["List-Unsubscribe"]).split())
    signed = signed_address(TEST_SECRET_KEY, UNSUBSCRIBE, delivery.id, DOMAIN)
    assert unsubscribe == (f"<https://elo.example/newsletter/unsubscribe/tok-inbound-out:1>, "
                           f"<mailto:{signed}?subject=unsubscribe>, <mailto:unsubscribe@elo.example>")


def test_without_inbound_mail_goes_out_as_before(apps: dict[str, Flask], send_email: Any, drain: Any) -> None:
    relay = EnvelopeSink()
    controller = smtp_controller(relay)
    use_mail_settings(apps, smtp_url=f"smtp://127.0.0.1:{controller.port}", mail_from="ELO <noreply@elo.example>")
    try:
        send_email(email_request("inbound-off:1", email=READER, list_mail=True))
        drain()
    finally:
        controller.stop()
    (sent,) = relay.received
    assert sent.mail_from == "noreply@elo.example"
    assert "unsubscribe+" not in str(sent.message["List-Unsubscribe"])


# --- delivery status notifications -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["postfix-user-unknown.eml", "exim-user-unknown.eml", "gmail-no-such-user.eml",
                                  "microsoft-recipient-not-found.eml"])
def test_a_hard_bounce_suppresses_the_address_and_tells_subscriptions(inbound: Inbound, send_email: Any, drain: Any,
                                                                       name: str) -> None:
    subscriber_id = make_subscriber(READER)
    sent = list_message(send_email, drain, inbound, "inbound-hard:1", campaign="issue-7")
    inbound.send(sent.mail_from, sample(name, sent))
    inbound.send(sent.mail_from, sample(name, sent))  # the same report again: counted once
    drain()
    (event,) = events()
    assert event.kind is MailEventKind.HARD_BOUNCE
    assert event.status is not None
    assert event.status.startswith("5.1.")
    assert READER not in (event.detail or "")
    found = suppressed(READER)
    assert found is not None
    assert found.reason.value == "hard-bounce"
    assert subscriber_status(subscriber_id) is SubscriberStatus.BOUNCED
    with db.transaction() as session:
        assert campaign_feedback(session, "issue-7") == {"campaign": "issue-7", "sent": 1, "hard_bounced": 1,
                                                         "soft_bounced": 0, "complained": 0, "unsubscribed": 0}


def test_soft_bounces_are_counted_per_message_and_suppress_at_the_limit(inbound: Inbound, send_email: Any,
                                                                        drain: Any) -> None:
    first = list_message(send_email, drain, inbound, "inbound-soft:1")
    inbound.send(first.mail_from, sample("postfix-delayed.eml", first))
    inbound.send(first.mail_from, sample("gmail-over-quota.eml", first))  # the same message: still one
    assert suppressed(READER) is None
    second = list_message(send_email, drain, inbound, "inbound-soft:2")
    inbound.send(second.mail_from, sample("gmail-over-quota.eml", second))
    assert [event.status for event in events(MailEventKind.SOFT_BOUNCE)] == ["4.4.1", "5.2.2"]
    found = suppressed(READER)
    assert found is not None
    assert (found.detail or "").startswith("2 messages soft-bounced")


# --- complaints ------------------------------------------------------------------------------------------

def test_a_complaint_report_sent_to_the_abuse_address_suppresses(inbound: Inbound, send_email: Any,
                                                                  drain: Any) -> None:
    subscriber_id = make_subscriber(READER)
    sent = list_message(send_email, drain, inbound, "inbound-arf:1")
    inbound.send("abuse@elo.example", sample("arf-abuse.eml", sent), sender="fbl@feedback.example-isp.net")
    drain()
    assert [event.kind for event in events()] == [MailEventKind.COMPLAINT]
    found = suppressed(READER)
    assert found is not None
    assert found.reason.value == "complaint"
    assert subscriber_status(subscriber_id) is SubscriberStatus.COMPLAINED
    assert all(COORDINATOR not in item.rcpt_tos for item in inbound.relay.received), "not forwarded"


# --- mailed unsubscribes ----------------------------------------------------------------------------------

def unsubscribe_mail(to: str) -> bytes:
    return (f"From: Aino Virtanen <{READER}>\r\nTo: <{to}>\r\nSubject: unsubscribe\r\n"
            "Message-ID: <u1@example.fi>\r\n\r\nunsubscribe\r\n").encode()


def test_a_signed_mailto_unsubscribes(inbound: Inbound, send_email: Any, drain: Any) -> None:
    subscriber_id = make_subscriber(READER)
    sent = list_message(send_email, drain, inbound, "inbound-unsub:1", campaign="issue-8")
    address = str(sent.message["List-Unsubscribe"]).split("<mailto:")[1].split("?")[0]
    inbound.send(address, unsubscribe_mail(address), sender=READER)
    drain()
    assert subscriber_status(subscriber_id) is SubscriberStatus.UNSUBSCRIBED
    assert suppressed(READER) is None, "an unsubscribe is not a suppression"
    with db.transaction() as session:
        assert campaign_feedback(session, "issue-8")["unsubscribed"] == 1


def test_a_forged_mailto_changes_nothing_and_goes_to_the_coordinator(inbound: Inbound, send_email: Any,
                                                                      drain: Any) -> None:
    subscriber_id = make_subscriber(READER)
    sent = list_message(send_email, drain, inbound, "inbound-forged:1")
    signed = signed_address(TEST_SECRET_KEY, UNSUBSCRIBE, 1, DOMAIN)
    forged = signed[:-len(DOMAIN) - 2] + ("a" if signed[-len(DOMAIN) - 2] != "a" else "b") + "@" + DOMAIN
    other = signed_address("another-secret-key-of-32-characters!", UNSUBSCRIBE, 1, DOMAIN)
    for address in (forged, other, f"unsubscribe@{DOMAIN}"):
        inbound.send(address, unsubscribe_mail(address), sender=READER)
    drain()
    assert subscriber_status(subscriber_id) is SubscriberStatus.CONFIRMED
    assert events() == []
    forwarded = [item for item in inbound.relay.received if item is not sent]
    assert [item.rcpt_tos for item in forwarded] == [[COORDINATOR]] * 3
    assert all(item.message["X-ELO-Inbound"] == "forwarded" for item in forwarded)
    assert forwarded[0].message["From"] == f"Aino Virtanen <{READER}>", "forwarded as it came: replies reach the reader"


# --- anything else ----------------------------------------------------------------------------------------

def test_other_mail_is_forwarded_once_and_a_loop_is_stopped(inbound: Inbound) -> None:
    mail = b"From: someone@example.fi\r\nTo: info@elo.example\r\nSubject: Kysymys\r\n\r\nHei!\r\n"
    inbound.send("info@elo.example", mail, sender="someone@example.fi")
    (forwarded,) = inbound.relay.received
    assert forwarded.rcpt_tos == [COORDINATOR]
    assert forwarded.mail_from == "noreply@elo.example"
    inbound.send("info@elo.example", forwarded.raw, sender="noreply@elo.example")
    assert len(inbound.relay.received) == 1


def test_a_dsn_for_an_unknown_message_is_forwarded(inbound: Inbound) -> None:
    unknown = Received(signed_address("another-secret-key-of-32-characters!", BOUNCES, 99, DOMAIN), [],
                       b"Message-ID: <x@elo.example>\r\n\r\n")
    inbound.send(unknown.mail_from, sample("postfix-user-unknown.eml", unknown))
    (forwarded,) = inbound.relay.received
    assert forwarded.message["X-ELO-Inbound"] == "unmatched dsn"
    assert suppressed(READER) is None


def test_lmtp_takes_one_recipient_per_message(apps: dict[str, Flask], settings: Settings) -> None:
    listener = start_listener(dataclasses.replace(settings, contact_email=""), host="127.0.0.1", port=0, lmtp=True)
    try:
        with smtplib.LMTP("127.0.0.1", listener.port) as client:
            client.ehlo_or_helo_if_needed()
            assert client.mail("someone@example.fi")[0] == 250
            assert client.rcpt("a@elo.example")[0] == 250
            assert client.rcpt("b@elo.example")[0] == 452
            code, _ = client.data(b"Subject: x\r\n\r\nx\r\n")
    finally:
        listener.stop()
    assert code == 550, "no coordinator address: the message is refused, not lost"
