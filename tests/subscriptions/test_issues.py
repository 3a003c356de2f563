"""Newsletter issues: compose, edit, preview, test-send, send now or later, pause/resume/cancel.
(The confirmation step, past times and the end of sending: test_issue_sending.py.)

Sending goes through the real mailer (in-process worker) into a real SMTP server.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

import services.subscriptions.jobs  # noqa: F401 - registers the scheduler's newsletter handlers
from services.subscriptions.models import db
from services.subscriptions.newsletter.actors import WindowFull, newsletter_expand
from services.subscriptions.newsletter.models import Article, ArticleStatus, Issue, IssueDelivery
from services.subscriptions.newsletter.operations import sending
from shared.scheduler import tick
from shared.settings import Settings, load_settings
from tests.conftest import Backend, SmtpSink
from tests.subscriptions.conftest import subscription_outbox
from tests.subscriptions.newsletter_factories import XSS, active_content, make_article, make_issue, make_subscribers

API = "/newsletter/api/v1/issues"
CONFIRMED = {"confirm": True}


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    """The mailer delivers to the test's SMTP server."""
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


@pytest.fixture
def editor(admin_headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return admin_headers("editor")


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _lines(html: str) -> list[str]:
    return [line.rstrip() for line in html.strip().splitlines()]


def test_compose_with_language_versions(client: Client, editor: dict[str, str]) -> None:
    fi_article, sv_article = make_article(), make_article(language="sv", title="Vägledning i Jakobstad")
    issue = make_issue(client, editor, article_ids=[fi_article],
                       versions=[{"language": "sv", "title": "ELO-nyhetsbrev 2/2026", "introduction": "Hej!",
                                  "article_ids": [sv_article]}])
    assert issue["status"] == "draft"
    assert {v["language"]: v["article_ids"] for v in issue["versions"]} == {"fi": [fi_article], "sv": [sv_article]}
    assert issue["progress"] == {"total": 0, "sent": 0, "failed": 0, "suppressed": 0}
    listed = client.get(API, headers=editor).get_json()
    assert [i["id"] for i in listed] == [issue["id"]]


def test_only_accepted_articles_and_an_editor(client: Client, editor: dict[str, str], admin_headers: Any) -> None:
    submitted = make_article(ArticleStatus.SUBMITTED)
    response = client.post(API, json={"title": "Numero", "language": "fi", "article_ids": [submitted]},
                           headers=editor)
    assert response.status_code == 422
    assert "article_ids" in response.get_json()["errors"]
    assert client.post(API, json={"title": "Numero", "language": "fi"}, headers=admin_headers("organizer")
                       ).status_code == 403
    assert client.post(API, json={"title": "Numero", "language": "xx"}, headers=editor).status_code == 422


def test_editable_until_sent(client: Client, editor: dict[str, str], apps: dict[str, Flask]) -> None:
    issue = make_issue(client, editor)
    other = make_article(title="Toinen juttu")
    response = client.patch(f"{API}/{issue['id']}", json={"article_ids": [other, *issue["versions"][0]["article_ids"]],
                                                          "introduction": "Uusi johdanto"}, headers=editor)
    assert response.status_code == 200
    assert response.get_json()["versions"][0]["article_ids"][0] == other
    assert client.post(f"{API}/{issue['id']}/send", json=CONFIRMED, headers=editor).status_code == 202
    response = client.patch(f"{API}/{issue['id']}", json={"introduction": "Myöhästynyt"}, headers=editor)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert client.post(f"{API}/{issue['id']}/send", json=CONFIRMED, headers=editor).status_code == 409


def test_events_section_unavailable_still_composes(client: Client, editor: dict[str, str], backend: Backend,
                                                   smtp_sink: SmtpSink, apps: dict[str, Flask]) -> None:
    apps["subscriptions"].config["ELO_SETTINGS"] = load_settings(
        backend.env(ELO_SMTP_URL=smtp_sink.url, ELO_EVENTS_URL="http://127.0.0.1:9"))
    issue = make_issue(client, editor, include_events=True)
    assert issue["include_events"] is True
    assert issue["events_available"] is False
    html = client.get(f"{API}/{issue['id']}/preview", headers=editor).get_data(as_text=True)
    assert "/events/" in html


def test_events_section_from_the_events_service(client: Client, editor: dict[str, str], admin_headers: Any,
                                                smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=20)
    created = client.post("/events/api/v1/events", headers=admin_headers("organizer"), json={
        "kind": "seminar", "mode": "hybrid", "address": "Oulu, Technopolis",
        "title": {"fi": "Elinikäisen ohjauksen vuosiseminaari", "sv": "Årligt seminarium om livslång vägledning"},
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=6)).isoformat()})
    assert created.status_code == 201, created.get_data(as_text=True)
    issue = _swedish_issue(client, editor)
    response = client.patch(f"{API}/{issue['id']}", json={"include_events": True}, headers=editor)
    issue = response.get_json()
    assert issue["events_available"] is True
    assert len(issue["events"]) == 1
    client.post(f"{API}/{issue['id']}/test-send", json={"emails": ["toimitus@example.fi"], "language": "sv"},
                headers=editor)
    drain()
    [message] = smtp_sink.wait_for(1)
    assert "Årligt seminarium om livslång vägledning" in text_part(message)
    assert "Kommande evenemang" in text_part(message)


def test_preview_is_the_email_a_subscriber_gets(client: Client, editor: dict[str, str], smtp_sink: SmtpSink,
                                                drain: Callable[..., None]) -> None:
    issue = make_issue(client, editor)
    preview = client.get(f"{API}/{issue['id']}/preview", headers=editor)
    assert preview.status_code == 200
    assert preview.mimetype == "text/html"
    response = client.post(f"{API}/{issue['id']}/test-send", json={"emails": ["lukija@example.fi"]}, headers=editor)
    assert response.status_code == 202
    assert response.get_json() == {"queued": 1}
    drain()
    [message] = smtp_sink.wait_for(1)
    assert message["Subject"] == "ELO-uutiskirje 2/2026"
    # The same document; only the line endings differ (email transport uses CRLF).
    assert _lines(html_part(message)) == _lines(preview.get_data(as_text=True))


def test_xss_in_every_article_field_is_neutralised_in_preview_and_email(
        client: Client, editor: dict[str, str], smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    fields = {name: f"{name} {XSS}" for name in ("title", "summary", "body", "author_name", "organisation")}
    article = make_article(**fields, image_url='https://example.fi/a.jpg?"><script>', image_alt=f"alt {XSS}")
    issue = make_issue(client, editor, article_ids=[article], title=f"Numero {XSS}", introduction=f"Hei {XSS}")
    preview = client.get(f"{API}/{issue['id']}/preview", headers=editor).get_data(as_text=True)
    assert active_content(preview) == []
    assert "&lt;script&gt;" in preview
    client.post(f"{API}/{issue['id']}/test-send", json={"emails": ["toimitus@example.fi"]}, headers=editor)
    drain()
    [message] = smtp_sink.wait_for(1)
    assert active_content(html_part(message)) == []
    assert "alert" in html_part(message)  # the payload is shown as text


def test_without_the_mailer_progress_is_unknown_and_the_preview_unavailable(
        client: Client, editor: dict[str, str], backend: Backend, smtp_sink: SmtpSink, apps: dict[str, Flask]) -> None:
    make_subscribers(2)
    issue = make_issue(client, editor)
    assert client.post(f"{API}/{issue['id']}/send", json=CONFIRMED, headers=editor).status_code == 202
    apps["subscriptions"].config["ELO_SETTINGS"] = load_settings(
        backend.env(ELO_SMTP_URL=smtp_sink.url, ELO_MAILER_URL="http://127.0.0.1:9"))
    state = client.get(f"{API}/{issue['id']}", headers=editor).get_json()
    assert state["progress"] == {"total": 2, "sent": None, "failed": None, "suppressed": None}
    preview = client.get(f"{API}/{issue['id']}/preview", headers=editor)
    assert preview.status_code == 503
    assert preview.mimetype == "application/problem+json"


def _eligible_world() -> dict[str, list[str]]:
    return {
        "fi": make_subscribers(12, language="fi"),
        "sv": make_subscribers(5, language="sv"),
        "en": make_subscribers(3, language="en"),  # no English version: gets the primary (Finnish) one
        "none": [*make_subscribers(2, status="pending"), *make_subscribers(2, status="unsubscribed"),
                 *make_subscribers(1, status="bounced"), *make_subscribers(1, status="complained"),
                 *make_subscribers(3, topics=("events",), prefix="tapahtumat")],
    }


def _swedish_issue(client: Client, editor: dict[str, str]) -> dict[str, Any]:
    return make_issue(client, editor, versions=[{"language": "sv", "title": "ELO-nyhetsbrev 2/2026",
                                                 "introduction": "Hej på er!",
                                                 "article_ids": [make_article(language="sv", title="På svenska")]}])


def _unsubscribe_links(message: EmailMessage) -> set[str]:
    return set(re.findall(r"https?://[^\s\"<>]+/newsletter/unsubscribe/[A-Za-z0-9._-]+", text_part(message)))


def test_send_now_reaches_each_eligible_subscriber_once_in_their_language(
        client: Client, editor: dict[str, str], smtp_sink: SmtpSink, drain: Callable[..., None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sending, "BATCH_SIZE", 4)
    world = _eligible_world()
    issue = _swedish_issue(client, editor)
    response = client.post(f"{API}/{issue['id']}/send", json=CONFIRMED, headers=editor)
    assert response.status_code == 202
    assert response.get_json()["status"] == "sending"
    drain()
    eligible = [*world["fi"], *world["sv"], *world["en"]]
    smtp_sink.wait_for(len(eligible))
    drain()
    recipients = [r.lower() for e in smtp_sink.envelopes for r in e.rcpt_tos]
    assert sorted(recipients) == sorted(eligible)
    for address in world["sv"]:
        [message] = smtp_sink.to(address)
        assert message["Subject"] == "ELO-nyhetsbrev 2/2026"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for address in world["en"]:
        assert smtp_sink.to(address)[0]["Subject"] == "ELO-uutiskirje 2/2026"
    links = [_unsubscribe_links(m) for m in smtp_sink.messages]
    assert all(len(found) == 1 for found in links)
    assert len({next(iter(found)) for found in links}) == len(eligible)
    one = smtp_sink.to(world["fi"][0])[0]
    link = next(iter(_unsubscribe_links(one))).split("/newsletter/", 1)[1]
    assert client.post(f"/newsletter/{link}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    state = client.get(f"{API}/{issue['id']}", headers=editor).get_json()
    assert state["status"] == "sent"
    assert state["progress"] == {"total": len(eligible), "sent": len(eligible), "failed": 0, "suppressed": 0}
    with db.transaction() as session:
        assert session.query(IssueDelivery).count() == len(eligible)
        assert {a.status for a in session.query(Article)} == {ArticleStatus.PUBLISHED}


def test_a_repeated_expansion_step_hands_nobody_over_twice(client: Client, editor: dict[str, str],
                                                          apps: dict[str, Flask]) -> None:
    make_subscribers(5)
    issue = make_issue(client, editor)
    with apps["subscriptions"].app_context():
        with db.transaction() as session:
            sending.send(session, issue["id"], None)
        with db.transaction() as session:
            assert sending.expand_step(session, issue["id"], 0, batch_size=3) is True
        with db.transaction() as session:
            assert sending.expand_step(session, issue["id"], 0, batch_size=3) is False
        with db.transaction() as session:
            assert session.query(IssueDelivery).count() == 3
    batches = subscription_outbox("mailer.send_batch")
    assert [len(b["recipients"]) for b in batches] == [3]
    assert batches[0]["recipients"][0]["idempotency_key"].startswith(f"issue:{issue['id']}:")


def test_the_mailer_window_holds_back_the_next_step(client: Client, editor: dict[str, str], apps: dict[str, Flask],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With a full window of unsent recipients at the mailer, expansion waits (so pause acts quickly)."""
    monkeypatch.setattr(sending, "BATCH_SIZE", 2)
    monkeypatch.setattr(sending, "IN_FLIGHT_WINDOW", 2)
    make_subscribers(5)
    issue = make_issue(client, editor)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        sending.send(session, issue["id"], None)
    newsletter_expand.fn({"issue_id": issue["id"], "after_id": 0, "step": "first"})
    with db.transaction() as session:
        cursor = session.get(Issue, issue["id"]).last_subscriber_id  # type: ignore[union-attr]
        assert session.query(IssueDelivery).count() == 2
    with pytest.raises(WindowFull):
        newsletter_expand.fn({"issue_id": issue["id"], "after_id": cursor, "step": "second"})
    with db.transaction() as session:
        assert session.query(IssueDelivery).count() == 2


def test_scheduled_issue_waits_for_its_time(client: Client, editor: dict[str, str], apps: dict[str, Flask]) -> None:
    make_subscribers(3)
    issue = make_issue(client, editor)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    response = client.post(f"{API}/{issue['id']}/send", json={"at": at.isoformat(), "confirm": True}, headers=editor)
    assert response.status_code == 202
    assert response.get_json()["status"] == "scheduled"
    with apps["subscriptions"].app_context():
        tick(db)
        assert subscription_outbox("subscriptions.newsletter_expand") == []
        tick(db, now=at + dt.timedelta(seconds=1))
    assert len(subscription_outbox("subscriptions.newsletter_expand")) == 1
    assert client.get(f"{API}/{issue['id']}", headers=editor).get_json()["status"] == "sending"


def test_cancel_a_scheduled_issue(client: Client, editor: dict[str, str], apps: dict[str, Flask]) -> None:
    issue = make_issue(client, editor)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    client.post(f"{API}/{issue['id']}/send", json={"at": at.isoformat(), "confirm": True}, headers=editor)
    assert client.post(f"{API}/{issue['id']}/cancel", headers=editor).get_json()["status"] == "cancelled"
    with apps["subscriptions"].app_context():
        tick(db, now=at + dt.timedelta(seconds=1))
    assert subscription_outbox("subscriptions.newsletter_expand") == []
    assert client.post(f"{API}/{issue['id']}/cancel", headers=editor).status_code == 409


def test_pause_and_resume(client: Client, editor: dict[str, str], apps: dict[str, Flask]) -> None:
    make_subscribers(6)
    issue = make_issue(client, editor)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        sending.send(session, issue["id"], None)
    assert client.post(f"{API}/{issue['id']}/resume", headers=editor).status_code == 409
    assert client.post(f"{API}/{issue['id']}/pause", headers=editor).get_json()["status"] == "paused"
    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert sending.expand_step(session, issue["id"], 0) is False  # paused: the step does nothing
    assert client.post(f"{API}/{issue['id']}/resume", headers=editor).get_json()["status"] == "sending"
    with apps["subscriptions"].app_context(), db.transaction() as session:
        assert sending.expand_step(session, issue["id"], 0) is True
    state = client.get(f"{API}/{issue['id']}", headers=editor).get_json()
    assert state["status"] == "sending"  # every recipient is with the mailer, which has sent none yet
    assert state["handed_over_at"] is not None
    assert client.post(f"{API}/{issue['id']}/pause", headers=editor).status_code == 409
    assert client.post(f"{API}/{issue['id']}/cancel", headers=editor).status_code == 409
