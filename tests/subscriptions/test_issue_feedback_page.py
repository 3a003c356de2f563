"""The issue's page in the workspace shows what came back from its messages: sent, bounces (for good and
for now), spam reports and unsubscribes, each counted, with the addresses masked in a <details>; when the
mail service does not answer, one line says so and the page still renders.

The events are recorded in the mailer's database with its own functions (`inbound_events`), as the
inbound listener records them; the page asks the mailer through its API."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.test import Client

from services.mailer.inbound_reports import Outcome
from services.subscriptions.newsletter.pages.workspace import FeedbackRow, feedback_rows
from shared.settings import load_settings
from tests.conftest import Backend
from tests.mailer.test_campaign_feedback_api import bounced, complained, erased, sent_delivery, unsubscribed
from tests.subscriptions.newsletter_factories import make_issue, make_subscribers
from tests.web.conftest import log_in, make_user

API = "/newsletter/api/v1/issues"
ADMIN = "/newsletter/admin/issues"
ROW = re.compile(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td>')


@pytest.fixture
def editor(admin_headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return admin_headers("editor")


@pytest.fixture
def workspace(client: Client, apps: dict[str, Flask]) -> Client:
    """The client logged in to the newsletter workspace as a coordinator."""
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    return client


def sent_issue(client: Client, editor: dict[str, str]) -> int:
    """An issue whose sending started, its six messages with the mailer and what came back about five."""
    addresses = make_subscribers(6)
    issue = make_issue(client, editor)
    assert client.post(f"{API}/{issue['id']}/send", json={"confirm": True}, headers=editor).status_code == 202
    ids = [sent_delivery(f"issue-{issue['id']}", address) for address in addresses]
    bounced(ids[0], Outcome.HARD)
    bounced(ids[1], Outcome.HARD)
    erased(ids[1])
    bounced(ids[2], Outcome.SOFT)
    complained(ids[3])
    unsubscribed(ids[4])
    return int(issue["id"])


def feedback_table(html: str) -> dict[str, int]:
    section = html.split('id="feedback-heading"', 1)[1]
    return {label: int(count) for label, count in ROW.findall(section)}


def test_the_issue_page_counts_what_came_back_with_masked_addresses(workspace: Client, client: Client,
                                                                     editor: dict[str, str]) -> None:
    issue_id = sent_issue(client, editor)
    html = workspace.get(f"{ADMIN}/{issue_id}?lang=fi").get_data(as_text=True)
    assert "Palautukset, valitukset ja peruutukset" in html
    assert feedback_table(html) == {"Lähetetty": 6, "Palautui pysyvästi": 2, "Palautui tilapäisesti": 1,
                                    "Merkitty roskapostiksi": 1, "Peruutti tilauksen sähköpostilla": 1}
    assert html.count("<details><summary>Näytä osoitteet</summary>") == 4
    assert html.count("<li>l***@example.fi</li>") == 4
    assert "1 muuta ei näytetä." in html  # the erased person's hard bounce
    assert "lukija0" not in html
    assert "lukija4" not in html


def test_the_table_in_swedish_and_english(workspace: Client, client: Client, editor: dict[str, str]) -> None:
    issue_id = sent_issue(client, editor)
    swedish = workspace.get(f"{ADMIN}/{issue_id}?lang=sv").get_data(as_text=True)
    assert feedback_table(swedish) == {"Skickat": 6, "Studsade permanent": 2, "Studsade tillfälligt": 1,
                                       "Markerad som skräppost": 1, "Avslutade prenumerationen via e-post": 1}
    assert "Visa adresserna" in swedish
    english = workspace.get(f"{ADMIN}/{issue_id}?lang=en").get_data(as_text=True)
    assert feedback_table(english) == {"Sent": 6, "Bounced for good": 2, "Bounced for now": 1,
                                       "Marked as spam": 1, "Unsubscribed by email": 1}
    assert "Addresses are partly hidden. An erased person is counted but not listed." in english


def test_without_the_mail_service_the_page_says_so_and_renders(
        workspace: Client, client: Client, editor: dict[str, str], backend: Backend, apps: dict[str, Flask]) -> None:
    issue_id = sent_issue(client, editor)
    apps["subscriptions"].config["ELO_SETTINGS"] = load_settings(backend.env(ELO_MAILER_URL="http://127.0.0.1:9"))
    response = workspace.get(f"{ADMIN}/{issue_id}?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The mail service does not answer now. Bounces and complaints cannot be shown. Try again later." in html
    assert feedback_table(html) == {}
    assert "ELO-uutiskirje 2/2026" in html


def test_an_issue_cancelled_part_way_still_shows_what_came_back(workspace: Client, client: Client,
                                                               editor: dict[str, str]) -> None:
    issue_id = sent_issue(client, editor)
    cancelled = client.post(f"{API}/{issue_id}/cancel", headers=editor)
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    html = workspace.get(f"{ADMIN}/{issue_id}?lang=en").get_data(as_text=True)
    assert feedback_table(html)["Bounced for good"] == 2


def test_a_draft_has_no_feedback_table(workspace: Client, client: Client, editor: dict[str, str]) -> None:
    issue = make_issue(client, editor)
    html = workspace.get(f"{ADMIN}/{issue['id']}?lang=en").get_data(as_text=True)
    assert "Bounces, complaints and unsubscribes" not in html


def test_any_campaign_key_gives_the_same_rows(apps: dict[str, Flask], workspace: Client) -> None:
    """An event announcement's campaign reads like an issue's."""
    bounced(sent_delivery("event-announcement:3", "saara@example.fi"), Outcome.SOFT)
    with apps["subscriptions"].test_request_context("/?lang=en"):
        rows = feedback_rows("event-announcement:3")
    assert rows is not None
    assert rows[0] == FeedbackRow("Sent", 1)
    assert rows[2] == FeedbackRow("Bounced for now", 1, ("s***@example.fi",), 0)
