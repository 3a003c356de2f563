"""The test mailbox of captured mail at /mailer/outbox/ (embedded run)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select
from werkzeug.test import Client

from services.mailer.models import CapturedMail, Delivery, DeliveryStatus, db
from tests.conftest import SmtpSink
from tests.mailer.conftest import (
    email_request,
    use_mail_settings,
)


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


def test_attachment_with_a_finnish_name_downloads(apps: dict[str, Flask], client: Client,
                                                  send_email: Callable[..., None], drain: Callable[..., None]) -> None:
    ics = {"filename": "syysseminaari-ä.ics", "content_type": "text/calendar; method=PUBLISH",
           "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}
    send_email(email_request("captured-umlaut:1", attachments=[ics]))
    drain()

    with db.transaction() as session:
        mail_id = session.scalars(select(CapturedMail.id)).one()
    response = client.get(f"/mailer/outbox/{mail_id}/attachments/0")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''syysseminaari-%C3%A4.ics"
