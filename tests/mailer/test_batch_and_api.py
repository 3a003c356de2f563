"""Batches, suppression, bounces, delivery log and campaign counts, GDPR export and erasure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select
from werkzeug.test import Client

from services.mailer.models import Base, Delivery, DeliveryStatus, Suppression, db
from shared.auth import service_token
from shared.contract import ERASE_PERSON_IN, SUPPRESSION_NOTICE
from shared.models import OutboxMessage
from shared.privacy import email_hash
from tests.conftest import TEST_SECRET_KEY, SmtpSink
from tests.mailer.conftest import email_request, use_mail_settings

BOUNCE_SECRET = "bounce-secret-for-tests"


def batch(campaign: str, addresses: list[str], language: str = "fi") -> dict[str, Any]:
    return {
        "campaign": campaign,
        "template": "mailer-test-message",
        "language": language,
        "context": {"sent_by": "Toimitus", "sent_at": "2026-11-22T07:00:00+00:00"},
        "recipients": [{
            "idempotency_key": f"{campaign}:{address}",
            "email": address,
            "name": f"Henkilö {index}",
            "substitutions": {"preferences_url": f"https://elo.example/newsletter/preferences/p{index}"},
            "list_headers": {"list_id": "uutiskirje.elo.example",
                             "unsubscribe_url": f"https://elo.example/newsletter/unsubscribe/u{index}"},
        } for index, address in enumerate(addresses)],
        "origin": "tests",
    }


def service_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {service_token(TEST_SECRET_KEY)}"}


def bounce(client: Client, email: str, kind: str = "hard-bounce", secret: str = BOUNCE_SECRET) -> Any:
    return client.post("/mailer/api/v1/bounces", json={"email": email, "type": kind},
                       headers={"Authorization": f"Bearer {secret}"})


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


def test_bounce_webhook_records_once_and_tells_subscriptions(apps: dict[str, Flask], client: Client) -> None:
    use_mail_settings(apps, bounce_secret=BOUNCE_SECRET)
    assert bounce(client, "pekka@example.fi").json == {"recorded": True}
    assert bounce(client, "PEKKA@example.fi").json == {"recorded": False}
    with db.transaction() as session:
        (suppression,) = session.scalars(select(Suppression)).all()
        assert suppression.email_hash == email_hash(TEST_SECRET_KEY, "pekka@example.fi")
        notices = session.scalars(select(OutboxMessage).where(
            OutboxMessage.actor_name == SUPPRESSION_NOTICE[0])).all()
    assert [notice.payload["email"] for notice in notices] == ["pekka@example.fi"]
    assert notices[0].payload["reason"] == "hard-bounce"


def test_bounce_webhook_refuses_without_the_secret(apps: dict[str, Flask], client: Client) -> None:
    use_mail_settings(apps, bounce_secret=None)
    refused = bounce(client, "pekka@example.fi")
    assert refused.status_code == 503
    assert refused.content_type == "application/problem+json"
    use_mail_settings(apps, bounce_secret=BOUNCE_SECRET)
    assert bounce(client, "pekka@example.fi", secret="wrong").status_code == 401
    invalid = client.post("/mailer/api/v1/bounces", json={"email": "not-an-address", "type": "soft"},
                          headers={"Authorization": f"Bearer {BOUNCE_SECRET}"})
    assert invalid.status_code == 422
    assert set(invalid.json["errors"]) == {"email", "type"}
    with db.transaction() as session:
        assert session.scalars(select(Suppression)).all() == []


def test_delivery_log_needs_a_token_and_reveals_no_unknown_key(apps: dict[str, Flask], client: Client) -> None:
    assert client.get("/mailer/api/v1/deliveries?key=whatever-key").status_code == 401
    missing = client.get("/mailer/api/v1/deliveries?key=whatever-key", headers=service_headers())
    assert missing.status_code == 404
    assert client.get("/mailer/api/v1/campaigns/none", headers=service_headers()).json["total"] == 0


def test_export_and_erase_leave_no_address(apps: dict[str, Flask], client: Client, *, send_email: Callable[..., None],
                                           send_batch: Callable[..., None], drain: Callable[..., None],
                                           broker: Any) -> None:
    use_mail_settings(apps, bounce_secret=BOUNCE_SECRET)  # the embedded default: mail is captured
    send_email(email_request("erase-me:1", email="Erkki.Esimerkki@example.fi", name="Erkki Esimerkki"))
    send_batch(batch("issue-8-fi", ["erkki.esimerkki@example.fi", "muu@example.fi"]))
    drain()
    assert bounce(client, "erkki.esimerkki@example.fi").status_code == 200

    exported = client.post("/mailer/api/v1/personal-data/export", json={"email": "erkki.esimerkki@example.fi"},
                           headers=service_headers())
    assert exported.status_code == 200
    assert exported.json["service"] == "mailer"
    assert len(exported.json["data"]["deliveries"]) == 2
    assert exported.json["data"]["suppressions"][0]["reason"] == "hard-bounce"
    assert client.post("/mailer/api/v1/personal-data/export", json={"email": "x@example.fi"}).status_code == 401

    from shared.broker import send

    erase = {"email_hash": email_hash(TEST_SECRET_KEY, "erkki.esimerkki@example.fi"), "request_id": "erase-req-1"}
    send(broker, actor_name=ERASE_PERSON_IN["mailer"][0], queue_name=ERASE_PERSON_IN["mailer"][1], args=(erase,))
    drain()

    dump = _all_rows_as_text().lower()
    assert "erkki" not in dump
    assert "muu@example.fi" in dump  # others are untouched
    counts = client.get("/mailer/api/v1/campaigns/issue-8-fi", headers=service_headers()).json
    assert counts["sent"] == 2  # the counts stay right


def _all_rows_as_text() -> str:
    chunks = []
    with db.engine.connect() as connection:
        for metadata in db.metadatas:
            for table in metadata.sorted_tables:
                for row in connection.execute(sa.select(table)):
                    chunks.append(" ".join(
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value) for value in row))
    assert Base.metadata.tables  # the mailer's own tables were scanned too
    return "\n".join(chunks)


def test_captured_mail_is_shown_in_the_outbox(apps: dict[str, Flask], client: Client,
                                              send_email: Callable[..., None], drain: Callable[..., None]) -> None:
    ics = {"filename": "tapahtuma.ics", "content_type": "text/calendar; method=PUBLISH",
           "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}
    send_email(email_request("captured:1", name="Maija <b>M</b>", attachments=[ics]))
    drain()
    for language, title in (("fi", "Testipostilaatikko"), ("sv", "Testbrevlåda"), ("en", "Test mailbox")):
        listing = client.get(f"/mailer/outbox/?lang={language}")
        assert listing.status_code == 200
        assert title in listing.text
        assert "Testiviesti" in listing.text
    with db.transaction() as session:
        (row,) = session.scalars(select(Delivery)).all()
        assert row.status is DeliveryStatus.SENT
    from services.mailer.models import CapturedMail

    with db.transaction() as session:
        mail_id = session.scalars(select(CapturedMail.id)).one()
    page = client.get(f"/mailer/outbox/{mail_id}/?lang=en")
    assert page.status_code == 200
    assert "Hei Maija &lt;b&gt;M&lt;/b&gt;!" in page.text  # the text part, escaped in the page
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
    assert "tapahtuma.ics" in page.text
    assert "List-Unsubscribe" not in page.text
    assert "Auto-Submitted" in page.text

    html = client.get(f"/mailer/outbox/{mail_id}/html")
    assert html.status_code == 200
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Maija &lt;b&gt;M&lt;/b&gt;" in html.text
    assert '<base target="_blank">' in html.text

    attachment = client.get(f"/mailer/outbox/{mail_id}/attachments/0")
    assert attachment.status_code == 200
    assert attachment.mimetype == "text/calendar"
    assert attachment.headers["Content-Disposition"] == 'attachment; filename="tapahtuma.ics"'
    raw = client.get(f"/mailer/outbox/{mail_id}/raw")
    assert raw.mimetype == "message/rfc822"
    assert client.get(f"/mailer/outbox/{mail_id + 1}/").status_code == 404
    assert client.get(f"/mailer/outbox/{mail_id}/attachments/5").status_code == 404


def test_outbox_is_closed_when_mail_goes_out_by_smtp(apps: dict[str, Flask], client: Client,
                                                     smtp_sink: SmtpSink) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    assert client.get("/mailer/outbox/1/").status_code == 404
    assert "Nothing is kept here" in client.get("/mailer/outbox/?lang=en").text


def test_demo_seed_shows_a_message_in_the_test_mailbox(apps: dict[str, Flask], client: Client) -> None:
    from services.mailer import demo

    with apps["mailer"].app_context(), db.transaction() as session:
        demo.seed(session)
    listing = client.get("/mailer/outbox/?lang=fi")
    assert "Testiviesti" in listing.text
    assert "koordinaattori@elo-verkosto.example" in listing.text


def test_attachment_with_a_finnish_name_downloads(apps: dict[str, Flask], client: Client,
                                                  send_email: Callable[..., None], drain: Callable[..., None]) -> None:
    ics = {"filename": "syysseminaari-ä.ics", "content_type": "text/calendar; method=PUBLISH",
           "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}
    send_email(email_request("captured-umlaut:1", attachments=[ics]))
    drain()
    from services.mailer.models import CapturedMail

    with db.transaction() as session:
        mail_id = session.scalars(select(CapturedMail.id)).one()
    response = client.get(f"/mailer/outbox/{mail_id}/attachments/0")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''syysseminaari-%C3%A4.ics"


def test_gave_up_deliveries_are_failed_with_their_last_error(apps: dict[str, Flask]) -> None:
    from services.mailer.actors import delivery_gave_up
    from services.mailer.delivery import Wanted, claim, log_transaction, mark_unsent

    wanted = Wanted(key="gave-up:1", email="a@example.fi", email_hash="0" * 64, template="mailer-test-message",
                    language="fi", campaign=None, origin="tests", list_mail=False)
    with apps["mailer"].app_context(), log_transaction() as session:
        (_, delivery_id), = claim(session, [wanted]).to_send
        mark_unsent(session, [delivery_id], DeliveryStatus.RETRYING, "451 4.3.0 Try later")
    delivery_gave_up.fn({"actor_name": "mailer.send_email", "args": [{"idempotency_key": "gave-up:1"}]},
                        {"retries": 100, "max_retries": 100})
    with db.transaction() as session:
        row = session.scalars(select(Delivery)).one()
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error == "gave up after 100 retries; last error: 451 4.3.0 Try later"


def test_a_dead_workers_lease_is_taken_over_a_live_one_is_respected(apps: dict[str, Flask]) -> None:
    import datetime as dt
    import os
    import socket
    import subprocess
    import sys

    from services.mailer.delivery import Wanted, claim, log_transaction

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(gone.stdout)
    host = socket.gethostname()
    wanted = [Wanted(key=f"lease-test:{n}", email=f"l{n}@example.fi", email_hash=f"{n}" * 64,
                     template="mailer-test-message", language="fi", campaign=None, origin="tests", list_mail=False)
              for n in range(3)]
    with apps["mailer"].app_context():
        with log_transaction() as session:
            claimed = claim(session, wanted)
        assert len(claimed.to_send) == 3
        owners = {0: f"{host}:{dead_pid}:dead0000", 1: f"{host}:{os.getppid()}:alive000", 2: "elsewhere:1:x"}
        with db.transaction() as session:
            for n, owner in owners.items():
                row = session.scalars(select(Delivery).where(Delivery.idempotency_key == f"lease-test:{n}")).one()
                row.claimed_by = owner
        with log_transaction() as session:
            again = claim(session, wanted)
    assert [w.key for w, _ in again.to_send] == ["lease-test:0"]  # its worker is gone: taken over at once
    assert again.busy == 2  # a live process here, and a host we cannot see: wait for the lease
    with db.transaction() as session:
        rows = {row.idempotency_key: row for row in session.scalars(select(Delivery))}
    assert rows["lease-test:0"].attempts == 2
    assert rows["lease-test:2"].lease_until > dt.datetime.now(dt.UTC)
