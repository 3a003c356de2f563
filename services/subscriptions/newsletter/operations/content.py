"""What readers see: an author's Markdown made safe, and an issue's content as the email and the archive show it.

Markdown is rendered with markdown-it-py and sanitised with nh3. `issue_context` is everything
the mailer's `newsletter-issue` template shows; it is the same for every recipient (no personal data).
"""

from __future__ import annotations

from typing import Any

import nh3
from markdown_it import MarkdownIt

from services.subscriptions.newsletter.models import Article, Issue, IssueVersion
from shared.labels import THEME_LABELS, theme_label

TEMPLATE = "newsletter-issue"  # the mailer's email template of an issue

# Plain text formatting only: headings from h2 down (the issue has the h1), lists, links, emphasis, quotes.
ALLOWED_TAGS = {"p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote",
                "code", "pre", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"https", "http", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> str:
    """Safe HTML from an author's Markdown: no raw HTML, no scripts or event handlers, links rel=noopener."""
    html = _markdown.render(text)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", strip_comments=True)


def theme_labels(themes: list[str], language: str) -> list[str]:
    """The labels of the known themes among `themes`, in the reader's language."""
    return [theme_label(theme, language) for theme in themes if theme in THEME_LABELS]


def version_for(issue: Issue, language: str, primary_language: str) -> IssueVersion:
    """The version a reader of `language` gets: theirs, else the network's primary language's, else the issue's."""
    return issue.version(language) or issue.version(primary_language) or issue.primary


def issue_context(issue: Issue, version: IssueVersion, base_url: str) -> dict[str, Any]:
    """Everything the `newsletter-issue` template shows; the same for every recipient (no personal data)."""
    language = version.language
    return {
        "issue_id": issue.id,
        "title": version.title,
        "introduction": version.introduction,
        "archive_url": f"{base_url}/newsletter/archive/{issue.id}?lang={language}",
        "articles": [_article_context(item.article, language) for item in version.items],
        "events_included": issue.include_events,
        "events_available": issue.events is not None,
        "events": [_event_context(event, language, issue.language, base_url) for event in issue.events or []],
    }


def _article_context(article: Article, language: str) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "summary": article.summary, "body_html": article.body_html,
            "author_name": article.author_name, "organisation": article.organisation,
            "themes": theme_labels(list(article.themes), language), "image_url": article.image_url or "",
            "image_alt": article.image_alt or "", "language": article.language}


def _event_context(event: dict[str, Any], language: str, primary_language: str, base_url: str) -> dict[str, Any]:
    """An event of the issue's snapshot (see issues.upcoming_events) in the reader's language."""
    titles: dict[str, str] = event.get("titles") or {}
    title = titles.get(language) or titles.get(primary_language) or next(iter(titles.values()), "")
    return {"title": title, "starts_at": event.get("starts_at") or "", "location": event.get("location") or "",
            "url": _absolute(str(event.get("url") or "/events/"), base_url)}


def _absolute(url: str, base_url: str) -> str:
    return url if url.startswith(("http://", "https://")) else f"{base_url}{url}"
