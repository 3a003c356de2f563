"""The typed client other services use to reach the mailer (shared/clients/mailer.py), against the real app."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from shared.clients.mailer import CampaignProgress, MailerClient
from shared.internal import ServiceCallFailed
from tests.conftest import SmtpSink
from tests.mailer.conftest import email_request, use_mail_settings

EXAMPLE = json.loads((Path(__file__).parents[2] / "services/mailer/templates/email/newsletter-issue/example.json")
                     .read_text(encoding="utf-8"))


def test_campaign_progress_is_typed(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                    send_email: Callable[..., None], drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    send_email(email_request("campaign:1", campaign="issue-3-fi"))
    send_email(email_request("campaign:2", campaign="issue-3-fi", template="no-such-email"))
    drain()
    with apps["subscriptions"].app_context():
        progress = MailerClient().campaign_progress("issue-3-fi")
        unseen = MailerClient().campaign_progress("issue-4-fi")
    assert progress == CampaignProgress(campaign="issue-3-fi", total=2, queued=0, sending=0, sent=1, retrying=0,
                                        failed=1, suppressed=0)
    assert progress.finished == 2
    assert unseen.total == unseen.finished == 0


def test_preview_renders_as_sent(apps: dict[str, Flask]) -> None:
    newsletter_url = "https://elo.example/newsletter/"
    with apps["subscriptions"].app_context():
        preview = MailerClient().preview("newsletter-issue", "en", EXAMPLE["context"],
                                         personal={"unsubscribe_url": newsletter_url,
                                                   "preferences_url": newsletter_url})
    assert preview.subject == "ELO-uutiskirje 2/2026"
    assert f'href="{newsletter_url}"' in preview.html
    assert "lukija@example.fi" in preview.text
    assert "26 November 2026 at 9.00" in preview.html


def test_personal_data_export_carries_the_service_token(apps: dict[str, Flask], smtp_sink: SmtpSink,
                                                        send_email: Callable[..., None],
                                                        drain: Callable[..., None]) -> None:
    use_mail_settings(apps, smtp_url=smtp_sink.url)
    send_email(email_request("export:1", email="kaisa@example.fi"))
    drain()
    with apps["subscriptions"].app_context():
        exported = MailerClient().export_personal_data("Kaisa@example.fi")
    assert exported["service"] == "mailer"
    assert [row["template"] for row in exported["data"]["deliveries"]] == ["mailer-test-message"]
    assert exported["data"]["suppressions"] == []


def test_an_error_answer_becomes_service_call_failed(apps: dict[str, Flask]) -> None:
    with apps["subscriptions"].app_context(), pytest.raises(ServiceCallFailed, match="422"):
        MailerClient().preview("no-such-email", "fi", {})
