"""Delivery through the real pipeline: broker → actor → render → SMTP (aiosmtpd), on both backends."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import dkim
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import Client

from services.mailer.models import Delivery, DeliveryStatus, Suppression, db
from shared.privacy import email_hash
from tests.conftest import SmtpSink
from tests.mailer.conftest import (
    BOUNCE_SECRET,
    ScriptedSink,
    batch,
    bounce,
    email_request,
    service_headers,
    use_mail_settings,
)

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ELO//tests//FI\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n"


def delivery(key: str) -> Delivery:
    with db.transaction() as session:
        row = session.scalar(select(Delivery).where(Delivery.idempotency_key == key))
        assert row is not None, key
        return row


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for something that will happen (never to prove that something did not)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


def delivery_status(key: str) -> DeliveryStatus | None:
    with db.transaction() as session:
        row = session.scalar(select(Delivery).where(Delivery.idempotency_key == key))
        return row.status if row else None


def test_batch_personalises_each_recipient_and_skips_suppressed(apps: dict[str, Flask], client: Client,
                                                                smtp_sink: SmtpSink,
                                                                send_batch: Callable[..., None],
                                                                drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url, bounce_secret=BOUNCE_SECRET)
    addresses = [f"lukija{index}@example.fi" for index in range(6)]
    assert bounce(client, addresses[2]).json == {"recorded": True}
    send_batch(batch("issue-7-fi", addresses))
    send_batch(batch("issue-7-fi", addresses))  # the same batch again sends nothing twice
    drain()

    messages = smtp_sink.wait_for(5)
    assert sorted(str(message["To"]).split("<")[1].rstrip(">") for message in messages) == sorted(
        a for a in addresses if a != addresses[2])
    for message in messages:
        index = int(str(message["To"]).split("lukija")[1].split("@")[0])
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"Hei Henkilö {index}!" in text
        assert f"https://elo.example/newsletter/preferences/p{index}" in text
        assert message["List-Unsubscribe"] == f"<https://elo.example/newsletter/unsubscribe/u{index}>"

    counts = client.get("/mailer/api/v1/campaigns/issue-7-fi", headers=service_headers())
    assert counts.status_code == 200
    assert counts.json == {"campaign": "issue-7-fi", "total": 6, "queued": 0, "sending": 0, "sent": 5,
                           "retrying": 0, "failed": 0, "suppressed": 1}


def test_suppressed_address_still_gets_transactional_mail(apps: dict[str, Flask], client: Client,
                                                          smtp_sink: SmtpSink, send_email: Callable[..., None],
                                                          drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url, bounce_secret=BOUNCE_SECRET)
    assert bounce(client, "Maija@Example.fi", "complaint").status_code == 200
    send_email(email_request("suppressed-list:1", list_mail=True))
    send_email(email_request("suppressed-transactional:1"))
    drain()
    assert len(smtp_sink.wait_for(1)) == 1
    assert smtp_sink.messages[0]["List-Unsubscribe"] is None
    response = client.get("/mailer/api/v1/deliveries?key=suppressed-list:1", headers=service_headers())
    assert response.json["status"] == "suppressed"


def test_message_arrives_with_mime_structure_headers_and_ics(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                                             send_email: Callable[..., None],
                                                             drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url, mail_from="Pohjois-Pohjanmaan ELO-verkosto <noreply@elo.example>")
    attachment = {"filename": "tapahtuma.ics", "content_type": "text/calendar; method=PUBLISH", "content": ICS}
    send_email(email_request("list-mail:1", name="Åsa Öberg", list_mail=True, attachments=[attachment]))
    drain()

    (message,) = smtp_sink.wait_for(1)
    assert message.get_content_type() == "multipart/mixed"
    alternative, ics = message.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == ["text/plain", "text/html"]
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "PUBLISH"
    assert ics.get_filename() == "tapahtuma.ics"
    assert ics.get_content().replace("\r\n", "\n") == ICS.replace("\r\n", "\n")

    assert str(message["To"]) == "Åsa Öberg <maija@example.fi>"
    assert str(message["From"]) == "Pohjois-Pohjanmaan ELO-verkosto <noreply@elo.example>"
    assert str(message["Subject"]) == "Testiviesti: Pohjois-Pohjanmaan ELO-verkosto"
    assert message["List-Unsubscribe"] == ("<https://elo.example/newsletter/unsubscribe/tok-list-mail:1>, "
                                           "<mailto:unsubscribe@elo.example>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "<uutiskirje.elo.example>"
    assert message["Auto-Submitted"] is None  # list mail is not an automatic reply
    digest = hashlib.sha256(b"list-mail:1").hexdigest()[:40]
    assert message["Message-ID"] == f"<{digest}@elo.example>"

    text = alternative.get_payload()[0].get_content()
    html = alternative.get_payload()[1].get_content()
    assert "Hei Åsa Öberg!" in text
    assert "Peru tilaus: https://elo.example/newsletter/unsubscribe/tok-list-mail:1" in text
    assert 'href="https://elo.example/newsletter/unsubscribe/tok-list-mail:1"' in html
    assert "22.11.2026 klo 9.00" in html

    raw = smtp_sink.envelopes[0].original_content
    assert b"\n" not in raw.replace(b"\r\n", b"")  # SMTP line endings only
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert raw.isascii()  # headers encoded, bodies quoted-printable / base64

    row = delivery("list-mail:1")
    assert row.status is DeliveryStatus.SENT
    assert row.attempts == 1
    assert row.message_id == message["Message-ID"]


def test_transactional_mail_is_auto_submitted(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                              send_email: Callable[..., None], drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    send_email(email_request("transactional:1", language="sv", name=None))
    drain()
    (message,) = smtp_sink.wait_for(1)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None
    assert str(message["To"]) == "maija@example.fi"
    assert str(message["Subject"]).startswith("Testmeddelande")
    assert message.get_content_type() == "multipart/alternative"


def test_same_key_twice_delivers_once(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                      send_email: Callable[..., None], drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    for _ in range(3):
        send_email(email_request("twice-key:1"))
    drain()
    send_email(email_request("twice-key:1"))
    drain()
    assert len(smtp_sink.wait_for(1, timeout=1)) == 1
    assert delivery("twice-key:1").attempts == 1


def test_transient_failure_is_retried_and_delivered(apps: dict[str, Flask], scripted_sink: ScriptedSink,
                                                    send_email: Callable[..., None],
                                                    drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=scripted_sink.url)
    scripted_sink.replies = ["451 4.3.0 Try again later"]
    send_email(email_request("transient:1"))
    drain()
    assert scripted_sink.attempts == 2
    assert len(scripted_sink.messages) == 1
    row = delivery("transient:1")
    assert row.status is DeliveryStatus.SENT
    assert row.attempts == 2


def test_permanent_failure_is_recorded_and_not_retried(apps: dict[str, Flask], scripted_sink: ScriptedSink,
                                                       send_email: Callable[..., None],
                                                       drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=scripted_sink.url)
    scripted_sink.replies = ["554 5.7.1 Message rejected as spam for maija@example.fi"]
    send_email(email_request("permanent:1"))
    drain()
    assert scripted_sink.attempts == 1
    row = delivery("permanent:1")
    assert row.status is DeliveryStatus.FAILED
    assert row.attempts == 1
    assert row.last_error == "554 5.7.1 Message rejected as spam for <recipient>"  # the reply, address left out


def test_relay_that_is_down_is_retried(apps: dict[str, Flask], send_email: Callable[..., None],
                                       drain: Callable[..., None], scripted_sink: ScriptedSink,
                                       refusing_port: int) -> None:
    use_mail_settings(apps, smtp_url=f"smtp://127.0.0.1:{refusing_port}")
    send_email(email_request("relay-down:1"))
    # the first try fails on the refused connection; point the mailer at a live relay before the retry
    wait_until(lambda: delivery_status("relay-down:1") is DeliveryStatus.RETRYING)
    assert "cannot connect" in (delivery("relay-down:1").last_error or "")
    use_mail_settings(apps, smtp_url=scripted_sink.url)
    drain()
    assert len(scripted_sink.messages) == 1
    assert delivery("relay-down:1").status is DeliveryStatus.SENT


def test_invalid_payload_is_rejected_not_retried(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                                 send_email: Callable[..., None], drain: Callable[..., None],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    caplog.set_level("DEBUG")
    send_email({"idempotency_key": "bad", "template": "Not Kebab", "language": "de", "recipient": {}})
    send_email(email_request("bad-payload:2", template="Not Kebab", email="salainen.henkilo@example.fi",
                             context={"confirm_url": "https://elo.example/newsletter/confirm/SECRET-TOKEN"}))
    drain()
    assert smtp_sink.messages == []
    with db.transaction() as session:
        assert session.scalars(select(Delivery)).all() == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "invalid payload rejected" in logged
    assert "salainen.henkilo" not in logged  # dramatiq's own log lines show the actor and id, not the payload
    assert "SECRET-TOKEN" not in logged


def test_unknown_template_fails_for_good(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                         send_email: Callable[..., None], drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    send_email(email_request("no-template:1", template="no-such-template"))
    drain()
    row = delivery("no-template:1")
    assert row.status is DeliveryStatus.FAILED
    assert "no email template" in (row.last_error or "")
    assert smtp_sink.messages == []


def test_dkim_signature_verifies_and_covers_list_headers(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                                         send_email: Callable[..., None],
                                                         drain: Callable[..., None],
                                                         dkim_key: tuple[Any, str]) -> None:
    key_file, txt_record = dkim_key
    use_mail_settings(apps, smtp_url=smtp_sink.url, mail_from="ELO <noreply@elo.example>",
                      dkim_domain="elo.example", dkim_selector="elo2026", dkim_key_file=key_file)
    send_email(email_request("dkim-key:1", list_mail=True, name="Åsa"))
    drain()
    smtp_sink.wait_for(1)
    raw = smtp_sink.envelopes[0].original_content

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return txt_record.encode() if name == b"elo2026._domainkey.elo.example." else None

    assert dkim.verify(raw, dnsfunc=dns)
    signature = smtp_sink.messages[0]["DKIM-Signature"]
    tags = dict(part.strip().split("=", 1) for part in str(signature).replace("\r\n", "").split(";") if "=" in part)
    signed = {name.strip().lower() for name in tags["h"].replace(" ", "").split(":")}
    assert {"list-unsubscribe", "list-unsubscribe-post", "list-id", "from", "subject", "message-id"} <= signed
    tampered = raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                           b"List-Unsubscribe-Post: List-Unsubscribe=Two-Click")
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_a_relay_that_says_the_mailbox_does_not_exist_suppresses_the_address(
        apps: dict[str, Flask], scripted_sink: ScriptedSink, send_email: Callable[..., None],
        drain: Callable[..., None]) -> None:
    from services.mailer.models import SuppressionReason, db

    use_mail_settings(apps, smtp_url=scripted_sink.url)
    scripted_sink.replies = ["550 5.1.1 <gone@example.fi>: Recipient address rejected: User unknown"]
    send_email(email_request("mailbox-gone:1", email="gone@example.fi"))
    drain()
    scripted_sink.replies = ["554 5.7.1 Message rejected as spam"]
    send_email(email_request("policy-refusal:1", email="still-here@example.fi"))
    drain()
    assert delivery("mailbox-gone:1").status is DeliveryStatus.FAILED
    secret = apps["mailer"].config["SECRET_KEY"]
    with apps["mailer"].app_context(), db.transaction() as session:
        suppressed = {row.email_hash: row for row in session.query(Suppression)}
    assert suppressed[email_hash(secret, "gone@example.fi")].reason is SuppressionReason.HARD_BOUNCE
    assert email_hash(secret, "still-here@example.fi") not in suppressed  # a policy refusal says nothing of the address
