"""An issue per language: the composer shows what each language's subscribers get (never a silent fallback),
a language version carries its own articles, and preview and test send work per language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Issue
from shared.settings import Settings, load_settings
from tests.subscriptions.newsletter_factories import make_article, make_issue
from tests.web.conftest import csrf_from, log_in, make_user

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.test import Client

    from tests.conftest import Backend, SmtpSink

ADMIN = "/newsletter/admin/issues"
SV_ARTICLE = {"title": "Digital vägledning når unga i glesbygden", "language": "sv",
              "summary": "Distansvägledning för studiehandledaren närmare de unga."}


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


@pytest.fixture
def workspace(client: Client, apps: dict[str, Flask]) -> Client:
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    return client


@pytest.fixture
def finnish_issue(client: Client, admin_headers: Callable[[str], dict[str, str]]) -> int:
    issue_id: int = make_issue(client, admin_headers("editor"))["id"]
    return issue_id


def _page(workspace: Client, issue_id: int, language: str = "fi") -> str:
    return workspace.get(f"{ADMIN}/{issue_id}", query_string={"lang": language}).get_data(as_text=True)


def _readers_of(page: str, language: str) -> str:
    match = re.search(rf'data-language="{language}">(.*?)</div>', page, re.DOTALL)
    assert match, f"no {language} readers on the page"
    return match.group(1)


def test_without_a_swedish_title_the_page_says_swedish_subscribers_get_the_finnish_version(
        workspace: Client, finnish_issue: int) -> None:
    swedish = _readers_of(_page(workspace, finnish_issue), "sv")
    assert "Tällä kielellä ei ole otsikkoa: nämä tilaajat saavat suomenkielisen version." in swedish
    assert "Ei heidän kielellään: Digitaalinen ohjaus tavoittaa syrjäkylien nuoret" in swedish
    assert "Oma versio: ELO-uutiskirje 2/2026" in _readers_of(_page(workspace, finnish_issue), "fi")
    in_swedish = _readers_of(_page(workspace, finnish_issue, "sv"), "sv")
    assert "Ingen titel på det här språket: de här prenumeranterna får den finska versionen." in in_swedish


def _save_swedish_version(workspace: Client, issue_id: int, article_id: int) -> None:
    page = workspace.get(f"{ADMIN}/{issue_id}")
    fi_article = db.session.get(Issue, issue_id).primary.items[0].article_id  # type: ignore[union-attr]
    answer = workspace.post(f"{ADMIN}/{issue_id}", data={
        "csrf_token": csrf_from(page), "action": "save", "title": "ELO-uutiskirje 2/2026",
        "introduction": "Hyvä lukija.", "article_ids": [str(fi_article)], "title_sv": "ELO-nyhetsbrev 2/2026",
        "introduction_sv": "Bästa läsare.", "article_ids_sv": [str(article_id)]})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_the_swedish_version_carries_its_own_swedish_articles(
        workspace: Client, apps: dict[str, Flask], finnish_issue: int) -> None:
    sv_article = make_article(**SV_ARTICLE)
    with apps["subscriptions"].app_context():
        _save_swedish_version(workspace, finnish_issue, sv_article)
        issue = db.session.get(Issue, finnish_issue)
        assert issue is not None
        assert [item.article.language for item in issue.version("sv").items] == ["sv"]  # type: ignore[union-attr]
        assert [item.article.language for item in issue.primary.items] == ["fi"]
    swedish = _readers_of(_page(workspace, finnish_issue), "sv")
    assert "Oma versio: ELO-nyhetsbrev 2/2026" in swedish
    assert SV_ARTICLE["title"] in swedish
    assert "Ei heidän kielellään" not in swedish
    assert "Esikatsele ruotsiksi" in swedish
    preview = workspace.get(f"{ADMIN}/{finnish_issue}/preview/sv")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert SV_ARTICLE["title"] in html
    assert "Digitaalinen ohjaus" not in html
    english = workspace.get(f"{ADMIN}/{finnish_issue}/preview/en").get_data(as_text=True)
    assert "Digitaalinen ohjaus" in english  # English subscribers get the Finnish version, and the page says so
    assert workspace.get(f"{ADMIN}/{finnish_issue}/preview/de").status_code == 404


def test_test_send_in_swedish_sends_the_swedish_version(
        workspace: Client, apps: dict[str, Flask], finnish_issue: int, smtp_sink: SmtpSink,
        drain: Callable[..., None]) -> None:
    with apps["subscriptions"].app_context():
        _save_swedish_version(workspace, finnish_issue, make_article(**SV_ARTICLE))
    page = workspace.get(f"{ADMIN}/{finnish_issue}")
    assert "Lähetä testi ruotsiksi" in page.get_data(as_text=True)
    answer = workspace.post(f"{ADMIN}/{finnish_issue}/test-send",
                            data={"csrf_token": csrf_from(page), "emails": "toimitus@example.fi", "language": "sv"})
    assert answer.status_code == 302
    for _ in range(30):
        if smtp_sink.to("toimitus@example.fi"):
            break
        drain()
    [message] = smtp_sink.to("toimitus@example.fi")
    assert message["Content-Language"] == "sv"
    assert "ELO-nyhetsbrev 2/2026" in str(message["Subject"])
