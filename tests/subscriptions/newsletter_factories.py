"""Factories for the newsletter part's tests: articles in any state, issues, subscribers."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Article, ArticleStatus
from services.subscriptions.newsletter.operations.content import render_markdown

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"><svg onload=alert(2)>'


def article_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Digitaalinen ohjaus tavoittaa syrjäkylien nuoret",
        "summary": "Etäohjaus tuo opinto-ohjaajan lähemmäs Koillismaan nuoria.",
        "body": "Oulun seudun ammattiopisto kokeili **etäohjausta** kolmessa kunnassa.\n\n- Taivalkoski\n- Kuusamo",
        "author_name": "Anna Korhonen",
        "email": "anna.korhonen@example.fi",
        "organisation": "Oulun seudun ammattiopisto OSAO",
        "themes": ["digital", "accessible"],
        "language": "fi",
    }
    body.update(overrides)
    return body


def make_article(status: ArticleStatus = ArticleStatus.ACCEPTED, **overrides: Any) -> int:
    data = article_body(**overrides)
    with db.transaction() as session:
        article = Article(status=status, title=data["title"], summary=data["summary"], body_markdown=data["body"],
                          body_html=render_markdown(data["body"]), author_name=data["author_name"],
                          author_email=data["email"], organisation=data["organisation"], themes=data["themes"],
                          language=data["language"], image_url=data.get("image_url"), image_alt=data.get("image_alt"))
        session.add(article)
        session.flush()
        return article.id


def make_issue(client: Client, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "ELO-uutiskirje 2/2026", "language": "fi",
                            "introduction": "Hyvä lukija,\n\ntässä numerossa syksyn vuosiseminaari.",
                            "article_ids": [make_article()]}
    body.update(overrides)
    response = client.post("/newsletter/api/v1/issues", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


class _ActiveContent(HTMLParser):
    """Collects what a browser would run: script/svg/iframe elements, on* handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "svg", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")


def active_content(html: str) -> list[str]:
    """Scripts and handlers in `html` that a page's own code did not put there (none expected)."""
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


def make_subscribers(count: int, *, status: str = "confirmed", language: str = "fi",
                     topics: tuple[str, ...] = ("newsletter",), prefix: str = "lukija") -> list[str]:
    """`count` subscribers in one transaction; returns their addresses."""
    from services.subscriptions.subscribers.models import ConsentSource, Subscriber, SubscriberStatus
    from shared.privacy import email_hash
    from tests.conftest import TEST_SECRET_KEY

    addresses = [f"{prefix}{n}.{status}.{language}@example.fi" for n in range(count)]
    with db.transaction() as session:
        for address in addresses:
            subscriber = Subscriber(email=address, email_hash=email_hash(TEST_SECRET_KEY, address),
                                    name=f"Lukija {address.split('@')[0]}", language=language,
                                    status=SubscriberStatus(status), source=ConsentSource.DEMO)
            subscriber.set_topics(topics)
            session.add(subscriber)
    return addresses
