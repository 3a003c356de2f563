"""The archive's Atom feed answers conditional GETs (#14, acceptance 9): a feed reader polling an unchanged
feed gets a 304 without a body, by ETag (If-None-Match) or by date (If-Modified-Since); a newly sent
issue, or a renamed article in a sent one, changes both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.http import http_date
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Article, Issue, IssueStatus
from shared.db import utcnow
from tests.subscriptions.newsletter_factories import make_article, make_issue

FEED = "/newsletter/archive/feed.atom"


@pytest.fixture
def editor(admin_headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return admin_headers("editor")


def sent(apps: dict[str, Flask], issue_id: int, at: dt.datetime) -> None:
    """The issue as the archive sees it once sending is done: composed a day before, sent at `at`."""
    with apps["subscriptions"].app_context(), db.transaction() as session:
        issue = session.get_one(Issue, issue_id)
        issue.status, issue.sent_at = IssueStatus.SENT, at
        issue.created_at = issue.updated_at = at - dt.timedelta(days=1)
        for item in issue.primary.items:
            item.article.updated_at = at - dt.timedelta(days=1)


def test_an_unchanged_feed_answers_304_by_etag_and_by_date(client: Client, editor: dict[str, str],
                                                           apps: dict[str, Flask]) -> None:
    sent_at = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
    sent(apps, make_issue(client, editor, title="ELO-uutiskirje 1/2026")["id"], sent_at)
    first = client.get(FEED)
    assert first.status_code == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert last_modified == http_date(sent_at)
    assert b"ELO-uutiskirje 1/2026" in first.get_data()

    by_etag = client.get(FEED, headers={"If-None-Match": etag})
    assert (by_etag.status_code, by_etag.get_data(), by_etag.headers["ETag"]) == (304, b"", etag)
    assert client.get(FEED, headers={"If-None-Match": f"W/{etag}"}).status_code == 304  # weakened by a gzip proxy
    by_date = client.get(FEED, headers={"If-Modified-Since": last_modified})
    assert (by_date.status_code, by_date.get_data()) == (304, b"")

    earlier = client.get(FEED, headers={"If-Modified-Since": http_date(sent_at - dt.timedelta(seconds=1))})
    assert (earlier.status_code, earlier.get_data()) == (200, first.get_data())
    # With If-None-Match present, If-Modified-Since does not count (RFC 9110, 13.1.3).
    other = client.get(FEED, headers={"If-None-Match": '"something-else"', "If-Modified-Since": last_modified})
    assert other.status_code == 200


def test_a_newly_sent_issue_changes_etag_and_date(client: Client, editor: dict[str, str],
                                                  apps: dict[str, Flask]) -> None:
    now = utcnow().replace(microsecond=0)
    sent(apps, make_issue(client, editor, title="ELO-uutiskirje 1/2026")["id"], now - dt.timedelta(hours=2))
    before = client.get(FEED)
    sent(apps, make_issue(client, editor, title="ELO-uutiskirje 2/2026")["id"], now - dt.timedelta(hours=1))

    after = client.get(FEED, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] == http_date(now - dt.timedelta(hours=1))
    assert b"ELO-uutiskirje 2/2026" in after.get_data()
    assert client.get(FEED, headers={"If-Modified-Since": before.headers["Last-Modified"]}).status_code == 200


def test_a_renamed_article_in_a_sent_issue_changes_the_etag(client: Client, editor: dict[str, str],
                                                            apps: dict[str, Flask]) -> None:
    article = make_article(title="Ohjausta syrjäkylille")
    # Without an introduction the entry's summary lists its articles' titles.
    issue = make_issue(client, editor, article_ids=[article], introduction="")
    sent(apps, issue["id"], utcnow().replace(microsecond=0) - dt.timedelta(hours=1))
    before = client.get(FEED)
    with apps["subscriptions"].app_context(), db.transaction() as session:
        renamed = session.get_one(Article, article)
        renamed.title, renamed.updated_at = "Ohjausta koko maakuntaan", utcnow()

    after = client.get(FEED, headers={"If-None-Match": before.headers["ETag"],
                                      "If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200
    assert b"Ohjausta koko maakuntaan" in after.get_data()


def test_an_empty_feed_is_the_same_document_each_time(client: Client) -> None:
    first, second = client.get(FEED), client.get(FEED)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    assert client.get(FEED, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
