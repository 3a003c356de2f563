"""No English in the Finnish or Swedish pages' messages: every form of the workspaces and public pages is
sent empty, in fi and in sv, and every error next to a field, error summary and flash message is read."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from services.events import create_app as _events_app  # noqa: F401 - the app package is loaded by the fixtures
from tests.events.factories import make_event
from tests.subscriptions.newsletter_factories import make_issue

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.test import Client, TestResponse

START_PAGES = ("/events/admin/", "/newsletter/admin/", "/mailer/admin/", "/newsletter/", "/events/")
SERVICE_PATHS = ("/events/", "/newsletter/", "/mailer/")
# Words of an English sentence that no Finnish or Swedish message has.
ENGLISH = re.compile(r"\b(the|must|field|valid|please|between|missing|required|empty|is|are|not|and|with|"
                     r"length|enter|choose|check|should|cannot|could)\b", re.IGNORECASE)
# Logging out, and the actions that end what later forms need (the event, the issue, a question).
SKIPPED_ACTIONS = ("/logout", "/login", "/cancel", "/delete", "/erase", "/send", "/unsubscribe")
MAX_PAGES = 60


class PageParts(HTMLParser):
    """Links, post forms (action and hidden fields) and the texts of notices and field errors."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.messages: list[str] = []
        self._depth = 0  # > 0 inside a notice or a field error
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value or "" for name, value in attrs}
        if tag == "a" and named.get("href"):
            self.links.append(named["href"])
        if tag == "form" and named.get("method", "get").lower() == "post":
            self.forms.append((named.get("action", ""), {}))
        if tag == "input" and named.get("type") == "hidden" and self.forms and named.get("name"):
            self.forms[-1][1][named["name"]] = named.get("value", "")
        classes = named.get("class", "").split()
        if self._depth or "notice" in classes or "field-error" in classes:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            if not self._depth:
                self.messages.append(" ".join("".join(self._text).split()))
                self._text = []

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)


def parts_of(response: TestResponse) -> PageParts:
    parser = PageParts()
    parser.feed(response.get_data(as_text=True))
    return parser


def local(href: str, base_path: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("#", "mailto:")):
        return None
    path = parts.path if parts.path.startswith("/") else base_path.rsplit("/", 1)[0] + "/" + parts.path
    return path if path.startswith(SERVICE_PATHS) and not path.endswith((".ics", ".csv", ".xml", ".json")) else None


def crawl(client: Client, language: str) -> Iterator[tuple[str, TestResponse]]:
    """Every kind of page reachable from START_PAGES within the services, once (query strings dropped;
    pages that differ only in their numbers, like /events/year/2026 and /events/year/2027, are one kind)."""
    seen: set[str] = set()
    queue = list(START_PAGES)
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "N", path)
        if kind in seen or "/api/" in path or "/logout" in path:
            continue
        seen.add(kind)
        response = client.get(path, query_string={"lang": language})
        if response.mimetype != "text/html":
            continue
        yield path, response
        queue.extend(link for href in parts_of(response).links if (link := local(href, path)))


def english_messages(client: Client, language: str) -> tuple[list[str], int]:
    found: list[str] = []
    sent = 0
    for path, page in list(crawl(client, language)):
        for action, hidden in parts_of(page).forms:
            target = local(action, path) if action else path
            if not target or target.endswith(SKIPPED_ACTIONS):
                continue
            answer = client.post(target, data=hidden, query_string={"lang": language}, follow_redirects=True)
            assert answer.status_code < 500, (target, answer.status_code)
            sent += 1
            found += [f"{target}: {text}" for text in parts_of(answer).messages if ENGLISH.search(text)]
    return found, sent


@pytest.fixture
def content(apps: dict[str, Flask], client: Client, admin_headers: Callable[..., dict[str, str]]) -> None:
    make_event(apps["events"])
    with apps["subscriptions"].app_context():
        make_issue(client, admin_headers("coordinator"))


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_no_english_message_in_finnish_or_swedish_pages(
        logged_in: Callable[..., Client], content: None, language: str) -> None:
    client = logged_in("/events")
    logged_in("/newsletter")
    found, sent = english_messages(client, language)
    assert sent >= 10, "the crawl reached the forms"
    assert not found, "\n".join(found)
