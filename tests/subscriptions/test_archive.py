"""The public archive: sent issues only, web versions without personal tokens, an Atom feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import feedparser
import pytest
from flask import Flask
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Issue
from services.subscriptions.newsletter.operations import completion, sending
from services.subscriptions.subscribers.models import Subscriber
from services.subscriptions.subscribers.operations.links import make_subscriber_token
from shared.clients.mailer import CampaignProgress
from tests.subscriptions.newsletter_factories import XSS, active_content, make_article, make_issue, make_subscribers

API = "/newsletter/api/v1/issues"


@pytest.fixture
def editor(admin_headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return admin_headers("editor")


def _send(apps: dict[str, Flask], issue_id: int) -> None:
    """Hand the issue over to the mailer completely (the expansion steps, run here in order)."""
    with apps["subscriptions"].app_context():
        with db.transaction() as session:
            sending.send(session, issue_id, None)
        done = False
        while not done:
            with db.transaction() as session:
                issue = session.get(Issue, issue_id)
                assert issue is not None
                sending.expand_step(session, issue_id, issue.last_subscriber_id)
                done = issue.handed_over_at is not None
        with db.transaction() as session:  # the mailer reports every recipient sent
            total = session.get(Issue, issue_id).total  # type: ignore[union-attr]
            completion.finish(session, issue_id, CampaignProgress("issue", total, 0, 0, total, 0, 0, 0))


def _all_tokens(apps: dict[str, Flask]) -> list[str]:
    with apps["subscriptions"].app_context(), db.transaction() as session:
        return [make_subscriber_token(s, purpose) for s in session.query(Subscriber)
                for purpose in ("unsubscribe", "preferences")]


def test_archive_lists_sent_issues_only(client: Client, editor: dict[str, str], apps: dict[str, Flask]) -> None:
    make_subscribers(3)
    sent = make_issue(client, editor, title="ELO-uutiskirje 1/2026")
    make_issue(client, editor, title="Luonnos, ei vielä lähetetty")
    _send(apps, sent["id"])
    html = client.get("/newsletter/archive/?lang=fi").get_data(as_text=True)
    assert "ELO-uutiskirje 1/2026" in html
    assert "Luonnos" not in html
    assert client.get(f"/newsletter/archive/{sent['id'] + 1}").status_code == 404


def test_web_version_carries_no_subscriber_token(client: Client, editor: dict[str, str],
                                                 apps: dict[str, Flask]) -> None:
    make_subscribers(4)
    make_subscribers(2, language="sv")
    issue = make_issue(client, editor, versions=[{"language": "sv", "title": "Nyhetsbrev 1/2026",
                                                  "introduction": "Hej!", "article_ids": []}])
    _send(apps, issue["id"])
    tokens = _all_tokens(apps)
    assert tokens
    for language in ("fi", "sv", "en"):
        response = client.get(f"/newsletter/archive/{issue['id']}?lang={language}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert not any(token in html for token in tokens)
        assert "/unsubscribe/" not in html
        assert "/preferences/" not in html
    assert "Nyhetsbrev 1/2026" in client.get(f"/newsletter/archive/{issue['id']}?lang=sv").get_data(as_text=True)


def test_web_version_neutralises_xss(client: Client, editor: dict[str, str], apps: dict[str, Flask]) -> None:
    fields = {name: f"{name} {XSS}" for name in ("title", "summary", "body", "author_name", "organisation")}
    article = make_article(**fields, image_url='https://example.fi/a.jpg?"><script>', image_alt=f"alt {XSS}")
    issue = make_issue(client, editor, article_ids=[article], title=f"Numero {XSS}", introduction=f"Hei {XSS}")
    _send(apps, issue["id"])
    html = client.get(f"/newsletter/archive/{issue['id']}").get_data(as_text=True)
    assert active_content(html) == []
    assert "&lt;script&gt;" in html


def test_atom_feed_parses_and_lists_sent_issues(client: Client, editor: dict[str, str],
                                                apps: dict[str, Flask]) -> None:
    first = make_issue(client, editor, title="ELO-uutiskirje 1/2026")
    second = make_issue(client, editor, title="ELO-uutiskirje 2/2026")
    make_issue(client, editor, title="Luonnos")
    _send(apps, first["id"])
    _send(apps, second["id"])
    response = client.get("/newsletter/archive/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed: Any = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert sorted(titles) == ["ELO-uutiskirje 1/2026", "ELO-uutiskirje 2/2026"]
    assert all(entry.link.endswith(f"/newsletter/archive/{entry_id}")
               for entry, entry_id in zip(sorted(feed.entries, key=lambda e: e.title), [first["id"], second["id"]],
                                          strict=True))


def test_empty_feed_is_valid(client: Client) -> None:
    feed: Any = feedparser.parse(client.get("/newsletter/archive/feed.atom").get_data())
    assert not feed.bozo
    assert feed.entries == []
