"""The mailer's JSON API: bounce webhook, delivery log, campaign counts, previews (nothing sent or stored)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import Client

from services.mailer.models import Delivery, Suppression, db
from shared.contract import SUPPRESSION_NOTICE
from shared.models import OutboxMessage
from shared.privacy import email_hash
from tests.conftest import TEST_SECRET_KEY, SmtpSink
from tests.mailer.conftest import (
    BOUNCE_SECRET,
    bounce,
    service_headers,
    use_mail_settings,
)

PREVIEWS = "/mailer/api/v1/previews"


EXAMPLE = json.loads((Path(__file__).parents[2] / "services/mailer/templates/email/newsletter-issue/example.json")
                     .read_text(encoding="utf-8"))


def test_bounce_webhook_records_once_and_tells_subscriptions(apps: dict[str, Flask], client: Client) -> None:
    use_mail_settings(apps, bounce_secret=BOUNCE_SECRET)
    assert bounce(client, "pekka@example.fi").json == {"recorded": True}
    assert bounce(client, "PEKKA@example.fi").json == {"recorded": False}
    with db.transaction() as session:
        (suppression,) = session.scalars(select(Suppression)).all()
        assert suppression.email_hash == email_hash(TEST_SECRET_KEY, "pekka@example.fi")
        notices = session.scalars(select(OutboxMessage).where(
            OutboxMessage.actor_name == SUPPRESSION_NOTICE.actor)).all()
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


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").split("\n")


def test_preview_is_the_message_as_sent(apps: dict[str, Flask], client: Client, smtp_sink: SmtpSink, *,
                                        admin_headers: Callable[[str], dict[str, str]],
                                        send_batch: Callable[..., None], drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    personal = {"unsubscribe_url": "https://elo.example/newsletter/unsubscribe/u&1",
                "preferences_url": "https://elo.example/newsletter/preferences/p\"1"}
    send_batch({"campaign": "issue-1-fi", "template": "newsletter-issue", "language": "fi",
                "context": EXAMPLE["context"], "origin": "tests",
                "recipients": [{"idempotency_key": "issue-1:1", "email": "maija@example.fi", "name": "Maija <M>",
                                "substitutions": personal,
                                "list_headers": {"list_id": "uutiskirje.elo.example",
                                                 "unsubscribe_url": personal["unsubscribe_url"]}}]})
    drain()
    [message] = smtp_sink.wait_for(1)

    answer = client.post(PREVIEWS, headers=admin_headers("editor"), json={
        "template": "newsletter-issue", "language": "fi", "context": EXAMPLE["context"],
        "personal": {**personal, "name": "Maija <M>", "email": "maija@example.fi"}})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    preview = answer.get_json()
    assert preview["subject"] == message["Subject"] == "ELO-uutiskirje 2/2026"
    assert _lines(preview["html"]) == _lines(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
    assert _lines(preview["text"]) == _lines(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "u&amp;1" in preview["html"]
    assert "p&quot;1" in preview["html"]


def test_values_not_given_are_examples_that_lead_nowhere_personal(
        apps: dict[str, Flask], client: Client, admin_headers: Callable[[str], dict[str, str]]) -> None:
    base_url = apps["mailer"].config["ELO_SETTINGS"].base_url
    answer = client.post(PREVIEWS, headers=admin_headers("editor"), json={
        "template": "newsletter-issue", "language": "sv", "context": EXAMPLE["context"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    preview = answer.get_json()
    assert "lukija@example.fi" in preview["text"]
    assert f'href="{base_url}/?lang=sv"' in preview["html"]  # every link to the site carries the language
    assert "%%ELO:" not in preview["html"] + preview["text"] + preview["subject"]
    assert "Avsluta prenumerationen" in preview["html"]
    with apps["mailer"].app_context():
        assert db.session().scalar(select(func.count()).select_from(Delivery)) == 0


def test_transactional_preview_has_no_list_footer(client: Client,
                                                  admin_headers: Callable[[str], dict[str, str]]) -> None:
    answer = client.post(PREVIEWS, headers=admin_headers("editor"), json={
        "template": "mailer-test-message", "language": "en", "list_mail": False,
        "context": {"sent_by": "Kaisa", "sent_at": "2026-11-22T07:00:00+00:00"}, "personal": {"name": "Anna"}})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    preview = answer.get_json()
    assert "Unsubscribe" not in preview["html"]
    assert "22 November 2026 at 9.00" in preview["text"]


def test_unknown_template_and_fields_are_refused(client: Client,
                                                admin_headers: Callable[[str], dict[str, str]]) -> None:
    editor = admin_headers("editor")
    missing = client.post(PREVIEWS, headers=editor, json={"template": "no-such-email", "language": "fi"})
    assert missing.status_code == 422
    assert "template" in missing.get_json()["errors"]
    unknown: Any = client.post(PREVIEWS, headers=editor, json={"template": "welcome", "language": "fi", "x": 1})
    assert unknown.status_code == 422
    assert "x" in unknown.get_json()["errors"]


def test_previews_need_an_editor_or_the_service(client: Client,
                                                admin_headers: Callable[[str], dict[str, str]]) -> None:
    body = {"template": "welcome", "language": "fi"}
    assert client.post(PREVIEWS, json=body).status_code == 401
    assert client.post(PREVIEWS, json=body, headers=admin_headers("organizer")).status_code == 403


def test_previews_are_in_the_openapi_document(client: Client) -> None:
    spec = client.get("/mailer/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/previews"]["post"]
    assert set(operation["responses"]) >= {"200", "422"}
    schemas = spec["components"]["schemas"]
    assert {"template", "language", "context", "personal", "list_mail"} <= set(schemas["PreviewIn"]["properties"])
    assert set(schemas["PreviewOut"]["properties"]) == {"subject", "html", "text"}
