"""Use-cases for newsletter issues: compose, edit until sent, the events section, the email context.

An issue has one version per language; its `language` is the primary version's. A subscriber
whose language has no version gets the network's primary language version, or else the issue's.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.content import theme_labels
from services.subscriptions.newsletter.models import (
    Article,
    ArticleStatus,
    Issue,
    IssueArticle,
    IssueStatus,
    IssueVersion,
)
from shared.errors import Conflict, InvalidInput, NotFound
from shared.internal import ServiceCallFailed, call

log = logging.getLogger(__name__)

EDITABLE = (IssueStatus.DRAFT, IssueStatus.SCHEDULED)
TEMPLATE = "newsletter-issue"
UPCOMING_EVENTS_LIMIT = 5


def get_issue(session: Session, issue_id: int, *, lock: bool = False) -> Issue:
    issue = session.get(Issue, issue_id, with_for_update=lock or None)
    if issue is None:
        raise NotFound("No issue with this id.")
    return issue


def list_issues(session: Session, status: IssueStatus | None = None) -> list[Issue]:
    query = select(Issue).order_by(Issue.id.desc())
    if status is not None:
        query = query.where(Issue.status == status)
    return list(session.scalars(query))


def sent_issues(session: Session) -> list[Issue]:
    return list(session.scalars(select(Issue).where(Issue.status == IssueStatus.SENT)
                                .order_by(Issue.sent_at.desc(), Issue.id.desc())))


def _articles_for(session: Session, article_ids: list[int], field: str) -> list[Article]:
    if len(set(article_ids)) != len(article_ids):
        raise InvalidInput("An article can be in an issue only once.", errors={field: ["Remove the repeated article."]})
    found = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(article_ids)))}
    missing = [i for i in article_ids if i not in found]
    if missing:
        raise InvalidInput("Some articles do not exist.", errors={field: [f"No article with id {missing[0]}."]})
    not_accepted = [a for a in found.values() if a.status not in (ArticleStatus.ACCEPTED, ArticleStatus.PUBLISHED)]
    if not_accepted:
        raise InvalidInput("Only accepted articles can be in an issue.",
                           errors={field: [f"Article {not_accepted[0].id} is {not_accepted[0].status.value}."]})
    return [found[i] for i in article_ids]


def _set_version(session: Session, issue: Issue, data: dict[str, Any], field: str) -> None:
    version = issue.version(data["language"])
    if version is None:
        version = IssueVersion(language=data["language"], title="", introduction="")
        issue.versions.append(version)
    version.title = data["title"].strip()
    version.introduction = data.get("introduction") or ""
    articles = _articles_for(session, list(data.get("article_ids") or []), field)
    version.items.clear()
    session.flush()
    version.items.extend(IssueArticle(article=article, position=n) for n, article in enumerate(articles))


def compose(session: Session, data: dict[str, Any]) -> Issue:
    """A new draft issue from {title, language, introduction, article_ids, include_events, versions}."""
    issue = Issue(language=data["language"], status=IssueStatus.DRAFT, include_events=data.get("include_events", False))
    session.add(issue)
    _apply(session, issue, data)
    return issue


def update(session: Session, issue_id: int, data: dict[str, Any]) -> Issue:
    issue = get_issue(session, issue_id, lock=True)
    if issue.status not in EDITABLE:
        raise Conflict(f"An issue that is {issue.status.value} cannot be edited.")
    merged = {"title": issue.primary.title, "introduction": issue.primary.introduction,
              "article_ids": [item.article_id for item in issue.primary.items], "language": issue.language,
              "include_events": issue.include_events, **data}
    if merged["language"] != issue.language:
        raise InvalidInput("The primary language cannot change.", errors={"language": ["Create a new issue instead."]})
    issue.include_events = merged["include_events"]
    _apply(session, issue, merged)
    return issue


def _apply(session: Session, issue: Issue, data: dict[str, Any]) -> None:
    _set_version(session, issue, {"language": data["language"], "title": data["title"],
                                  "introduction": data.get("introduction"), "article_ids": data.get("article_ids")},
                 "article_ids")
    for n, version in enumerate(data.get("versions") or []):
        if version["language"] == data["language"]:
            raise InvalidInput("A language version repeats the primary language.",
                               errors={"versions": {str(n): {"language": ["Use another language."]}}})
        _set_version(session, issue, version, f"versions.{n}.article_ids")
    issue.events = fetch_upcoming_events() if issue.include_events else None
    session.flush()


def fetch_upcoming_events() -> list[dict[str, Any]] | None:
    """Upcoming public events from the events service; None when it does not answer."""
    try:
        response = call("events", "GET", f"/api/v1/events?limit={UPCOMING_EVENTS_LIMIT}", authenticated=False,
                        timeout=3.0)
    except ServiceCallFailed as error:
        log.warning("upcoming events unavailable: %s", error)
        return None
    if response.status != 200:
        log.warning("upcoming events unavailable: events answered %s", response.status)
        return None
    body = response.body
    items = (body.get("items") or body.get("events") or []) if isinstance(body, dict) else body
    if not isinstance(items, list):
        return None
    return [_event_summary(item) for item in items[:UPCOMING_EVENTS_LIMIT] if isinstance(item, dict)]


def _event_summary(item: dict[str, Any]) -> dict[str, Any]:
    """What the section shows of an event; a title may be one text or one per language."""
    url = item.get("url") or (f"/events/{item['slug']}" if item.get("slug") else "/events/")
    title = item.get("title") or ""
    titles = {str(k): str(v) for k, v in title.items() if v} if isinstance(title, dict) else {"": str(title)}
    return {"titles": titles, "starts_at": item.get("starts_at"),
            "location": str(item.get("address") or item.get("location") or ""), "url": str(url)}


def _event_context(event: dict[str, Any], language: str, primary_language: str, base_url: str) -> dict[str, Any]:
    titles: dict[str, str] = event.get("titles") or {}
    title = titles.get(language) or titles.get(primary_language) or next(iter(titles.values()), "")
    return {"title": title, "starts_at": event.get("starts_at") or "", "location": event.get("location") or "",
            "url": _absolute(str(event.get("url") or "/events/"), base_url)}


def version_for(issue: Issue, language: str, primary_language: str) -> IssueVersion:
    return issue.version(language) or issue.version(primary_language) or issue.primary


def email_context(issue: Issue, version: IssueVersion, base_url: str) -> dict[str, Any]:
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


def _absolute(url: str, base_url: str) -> str:
    return url if url.startswith(("http://", "https://")) else f"{base_url}{url}"


def ensure_sendable(issue: Issue) -> None:
    if issue.status not in EDITABLE:
        raise Conflict(f"An issue that is {issue.status.value} cannot be sent again.")
    for version in issue.versions:
        if not version.items and not version.introduction.strip():
            raise Conflict(f"The {version.language} version is empty: add an introduction or articles.")
        for item in version.items:
            if item.article.status not in (ArticleStatus.ACCEPTED, ArticleStatus.PUBLISHED):
                raise Conflict(f"Article {item.article.id} is {item.article.status.value}: take it out first.")
