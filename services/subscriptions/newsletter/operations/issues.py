"""Use-cases for newsletter issues: compose, edit until sent, the upcoming-events section.

An issue has one version per language; its `language` is the primary version's. A subscriber
whose language has no version gets the network's primary language version, or else the issue's.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import (
    Article,
    ArticleStatus,
    Issue,
    IssueArticle,
    IssueStatus,
    IssueVersion,
)
from shared.clients import ServiceCallFailed
from shared.clients.events import EventsClient, UpcomingEvent
from shared.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

EDITABLE = (IssueStatus.DRAFT, IssueStatus.SCHEDULED)
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


def available_articles(session: Session, issue: Issue | None) -> list[Article]:
    """The articles an issue can carry: the accepted ones, and those it already has."""
    chosen = {item.article_id for item in issue.primary.items} if issue else set()
    query = select(Article).where(Article.status == ArticleStatus.ACCEPTED)
    if chosen:
        query = select(Article).where((Article.status == ArticleStatus.ACCEPTED) | Article.id.in_(chosen))
    return list(session.scalars(query.order_by(Article.id)))


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
    issue.events = upcoming_events() if issue.include_events else None
    session.flush()


def upcoming_events(events: EventsClient | None = None) -> list[dict[str, Any]] | None:
    """A snapshot of the upcoming public events for the issue's section; None when the events service does
    not answer (the issue composes without the section)."""
    try:
        found = (events or EventsClient()).upcoming_events(limit=UPCOMING_EVENTS_LIMIT)
    except ServiceCallFailed as error:
        log.warning("upcoming events unavailable: %s", error)
        return None
    return [_event_summary(event) for event in found[:UPCOMING_EVENTS_LIMIT]]


def _event_summary(event: UpcomingEvent) -> dict[str, Any]:
    """What the section keeps of an event: its titles per language, time, place and page."""
    return {"titles": {language: title for language, title in event["title"].items() if title},
            "starts_at": event["starts_at"], "location": event["address"],
            "url": event["url"] or f"/events/{event['slug']}"}


def ensure_sendable(issue: Issue) -> None:
    if issue.status not in EDITABLE:
        raise Conflict(f"An issue that is {issue.status.value} cannot be sent again.")
    for version in issue.versions:
        if not version.items and not version.introduction.strip():
            raise Conflict(f"The {version.language} version is empty: add an introduction or articles.")
        for item in version.items:
            if item.article.status not in (ArticleStatus.ACCEPTED, ArticleStatus.PUBLISHED):
                raise Conflict(f"Article {item.article.id} is {item.article.status.value}: take it out first.")
