"""Safe sending: the confirmation step (page and API), no sending time in the past, and "sent" only when
the mailer is done with every recipient, with the sent / failed / suppressed counts.

The mailer is the real one (in-process worker) delivering to a real SMTP server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Issue, IssueStatus
from services.subscriptions.newsletter.operations import completion, sending
from shared.clients.mailer import CampaignProgress
from shared.formatting import HELSINKI
from shared.settings import Settings, load_settings
from tests.conftest import Backend, SmtpSink
from tests.subscriptions.conftest import subscription_outbox
from tests.subscriptions.newsletter_factories import make_issue, make_subscribers
from tests.web.conftest import csrf_from, log_in, make_user

API = "/newsletter/api/v1/issues"
ADMIN = "/newsletter/admin/issues"


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


@pytest.fixture
def editor(admin_headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return admin_headers("editor")


@pytest.fixture
def workspace(client: Client, apps: dict[str, Flask]) -> Client:
    """The client logged in to the newsletter workspace as a coordinator."""
    response = log_in(client, "/newsletter", make_user())
    assert response.status_code == 302
    return client


def _readers() -> None:
    make_subscribers(3, language="fi")
    make_subscribers(2, language="sv")
    make_subscribers(1, language="en")
    make_subscribers(2, status="pending")


def _status(issue_id: int) -> IssueStatus:
    with db.transaction() as session:
        issue = session.get(Issue, issue_id)
        assert issue is not None
        return issue.status


def _future_local(hours: int = 3) -> str:
    """A Helsinki wall-clock time `hours` ahead, as a datetime-local field holds it."""
    return (dt.datetime.now(HELSINKI) + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


# --- API ---------------------------------------------------------------------------------------------

def test_api_send_without_confirm_sends_nothing_and_tells_the_count(client: Client, editor: dict[str, str]) -> None:
    _readers()
    issue = make_issue(client, editor)
    response = client.post(f"{API}/{issue['id']}/send", json={}, headers=editor)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert "confirm" in problem["errors"]
    assert "6 recipients (fi 3, sv 2, en 1)" in problem["detail"]
    assert _status(issue["id"]) == IssueStatus.DRAFT
    assert subscription_outbox("subscriptions.newsletter_expand") == []


def test_api_recipients_per_language_and_the_version_they_get(client: Client, editor: dict[str, str]) -> None:
    _readers()
    issue = make_issue(client, editor, versions=[{"language": "sv", "title": "Nyhetsbrev 2/2026"}])
    audience = client.get(f"{API}/{issue['id']}/recipients", headers=editor).get_json()
    assert audience == {"total": 6, "languages": [{"language": "fi", "count": 3, "version": "fi"},
                                                  {"language": "sv", "count": 2, "version": "sv"},
                                                  {"language": "en", "count": 1, "version": "fi"}]}


def test_api_refuses_a_past_time(client: Client, editor: dict[str, str]) -> None:
    _readers()
    issue = make_issue(client, editor)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    response = client.post(f"{API}/{issue['id']}/send", json={"at": past.isoformat(), "confirm": True},
                           headers=editor)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "at" in response.get_json()["errors"]
    assert _status(issue["id"]) == IssueStatus.DRAFT
    assert subscription_outbox("subscriptions.newsletter_expand") == []


# --- "sent" only when the mailer is done ---------------------------------------------------------------

def test_sending_until_the_mailer_has_handled_every_recipient(client: Client, editor: dict[str, str],
                                                             apps: dict[str, Flask]) -> None:
    make_subscribers(4)
    issue = make_issue(client, editor)
    with apps["subscriptions"].app_context():
        with db.transaction() as session:
            sending.send(session, issue["id"], None)
        with db.transaction() as session:
            assert sending.expand_step(session, issue["id"], 0) is True
        assert len(subscription_outbox("subscriptions.newsletter_finish")) == 1
        halfway = CampaignProgress("issue", total=4, queued=0, sending=0, sent=2, retrying=1, failed=1, suppressed=0)
        with db.transaction() as session:
            assert completion.finish(session, issue["id"], halfway) is False
        assert _status(issue["id"]) == IssueStatus.SENDING
        done = CampaignProgress("issue", total=4, queued=0, sending=0, sent=2, retrying=0, failed=1, suppressed=1)
        with db.transaction() as session:
            assert completion.finish(session, issue["id"], done) is True
    state = client.get(f"{API}/{issue['id']}", headers=editor).get_json()
    assert state["status"] == "sent"
    assert state["progress"] == {"total": 4, "sent": 2, "failed": 1, "suppressed": 1}


def test_sent_with_the_counts_once_the_mailer_is_done(client: Client, editor: dict[str, str], smtp_sink: SmtpSink,
                                                     drain: Callable[..., None]) -> None:
    make_subscribers(3)
    issue = make_issue(client, editor)
    response = client.post(f"{API}/{issue['id']}/send", json={"confirm": True}, headers=editor)
    assert response.status_code == 202
    assert response.get_json()["status"] == "sending"
    drain()
    smtp_sink.wait_for(3)
    drain()
    state = client.get(f"{API}/{issue['id']}", headers=editor).get_json()
    assert state["status"] == "sent"
    assert state["progress"] == {"total": 3, "sent": 3, "failed": 0, "suppressed": 0}
    with db.transaction() as session:
        stored = session.get(Issue, issue["id"])
        assert stored is not None
        assert (stored.sent_count, stored.failed_count, stored.suppressed_count) == (3, 0, 0)


# --- the workspace page --------------------------------------------------------------------------------

def test_the_send_form_leads_to_a_confirmation_that_names_the_issue_counts_and_time(
        workspace: Client, client: Client, editor: dict[str, str]) -> None:
    _readers()
    issue = make_issue(client, editor, title="Uutiskirje 3/2026")
    page = workspace.get(f"{ADMIN}/{issue['id']}/send?when=now&lang=fi")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Olet lähettämässä numeron «Uutiskirje 3/2026» 6 vastaanottajalle." in html
    assert "Suomeksi: <strong>3</strong>" in html
    assert "Ruotsiksi: <strong>2</strong> (he saavat suomenkielisen version)" in html
    assert "Englanniksi: <strong>1</strong>" in html
    assert "Lähetys alkaa heti, kun vahvistat." in html
    assert _status(issue["id"]) == IssueStatus.DRAFT

    later = _future_local()
    html = workspace.get(f"{ADMIN}/{issue['id']}/send?when=later&send_at={later}&lang=sv").get_data(as_text=True)
    assert "Du håller på att skicka «Uutiskirje 3/2026» till 6 mottagare." in html
    assert "Utskicket börjar " in html
    assert "(finsk tid)." in html


def test_a_send_post_without_the_confirmation_sends_nothing(workspace: Client, client: Client,
                                                            editor: dict[str, str]) -> None:
    _readers()
    issue = make_issue(client, editor)
    token = csrf_from(workspace.get(f"{ADMIN}/{issue['id']}"))
    response = workspace.post(f"{ADMIN}/{issue['id']}/send?lang=en", data={"csrf_token": token, "when": "now"})
    assert response.status_code == 200
    assert "You are about to send" in response.get_data(as_text=True)
    assert _status(issue["id"]) == IssueStatus.DRAFT
    response = workspace.post(f"{ADMIN}/{issue['id']}/send", data={"csrf_token": token, "when": "now",
                                                                    "confirm": "yes"})
    assert response.status_code == 302
    assert _status(issue["id"]) == IssueStatus.SENDING


@pytest.mark.parametrize("case", [
    ("fi", "<title>Virhe: ", "Tämä aika on jo mennyt."),
    ("sv", "<title>Fel: ", "Den tiden har redan varit."),
    ("en", "<title>Error: ", "This time is already past."),
])
def test_a_past_time_is_refused_next_to_the_field(workspace: Client, client: Client, editor: dict[str, str],
                                                  case: tuple[str, str, str]) -> None:
    language, title, message = case
    issue = make_issue(client, editor)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M")
    response = workspace.get(f"{ADMIN}/{issue['id']}/send?when=later&send_at={past}&lang={language}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert title in html
    assert f'<p class="field-error" id="f-send_at-error">{message}' in html
    assert 'id="error-summary"' in html
    assert 'aria-invalid="true"' in html
    assert _status(issue["id"]) == IssueStatus.DRAFT


def test_pause_resume_and_cancel_on_the_issue_page(workspace: Client, client: Client, editor: dict[str, str],
                                                   apps: dict[str, Flask]) -> None:
    make_subscribers(2)
    issue = make_issue(client, editor)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        sending.send(session, issue["id"], None)
    page = workspace.get(f"{ADMIN}/{issue['id']}?lang=fi").get_data(as_text=True)
    assert "Keskeytä lähetys" in page
    assert "Peru loput" in page
    token = csrf_from(workspace.get(f"{ADMIN}/{issue['id']}"))
    assert workspace.post(f"{ADMIN}/{issue['id']}/pause?lang=fi", data={"csrf_token": token}).status_code == 302
    assert _status(issue["id"]) == IssueStatus.PAUSED
    paused = workspace.get(f"{ADMIN}/{issue['id']}?lang=fi").get_data(as_text=True)
    assert "Jatka lähetystä" in paused
    assert "Lähetys on keskeytetty." in paused  # the message in the reader's language, not English
    workspace.post(f"{ADMIN}/{issue['id']}/resume", data={"csrf_token": token})
    assert _status(issue["id"]) == IssueStatus.SENDING
    asked = workspace.post(f"{ADMIN}/{issue['id']}/cancel?lang=fi", data={"csrf_token": token})
    assert "Perutaanko numeron" in asked.get_data(as_text=True)
    assert _status(issue["id"]) == IssueStatus.SENDING, "cancelling waits for the confirmation"
    workspace.post(f"{ADMIN}/{issue['id']}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert _status(issue["id"]) == IssueStatus.CANCELLED
    workspace.post(f"{ADMIN}/{issue['id']}/resume", data={"csrf_token": token})
    html = workspace.get(f"{ADMIN}/{issue['id']}?lang=fi").get_data(as_text=True)
    assert "Tätä ei voi tehdä nyt. Numeron tila: Peruttu." in html
    assert _status(issue["id"]) == IssueStatus.CANCELLED


def test_the_page_says_when_sending_is_done_with_the_three_counts(
        workspace: Client, client: Client, editor: dict[str, str], smtp_sink: SmtpSink,
        drain: Callable[..., None]) -> None:
    make_subscribers(2)
    issue = make_issue(client, editor)
    client.post(f"{API}/{issue['id']}/send", json={"confirm": True}, headers=editor)
    drain()
    smtp_sink.wait_for(2)
    drain()
    html = workspace.get(f"{ADMIN}/{issue['id']}?lang=fi").get_data(as_text=True)
    assert "Lähetys on valmis: 2 lähetetty, 0 epäonnistui, 0 estetty (2 vastaanottajaa)." in html
    assert "Keskeytä lähetys" not in html
    polled: dict[str, Any] = workspace.get(f"{ADMIN}/{issue['id']}/progress?lang=sv").get_json()
    assert polled["status"] == "sent"
    assert polled["status_label"] == "Skickat"
    assert polled["summary"] == "Utskicket är klart: 2 skickade, 0 misslyckades, 0 spärrade (2 mottagare)."
