"""The newsletter's year: issues sent, articles submitted and published by theme, and the subscriber list's
figures (`subscribers.operations.year_figures`). A year is a calendar year in Helsinki time.

- `issues`: issues whose sending finished (status sent, `sent_at`) in the year, oldest first, each with its
  recipients (everyone it was handed over for) and the mailer's sent / failed counts; `issues_sent` counts them
  and `recipients` adds their recipients up.
- `articles.submitted`: articles first submitted in the year (`created_at`), whatever became of them;
  `articles.published`: articles published in the year (the decision that made them "published", taken when an
  issue carrying them was sent). `by_theme` counts an article under each of its themes (the six strategy themes
  always present, zero when none), so the themes may add up to more than the total.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import Article, ArticleDecision, ArticleStatus, Issue, IssueStatus
from services.subscriptions.subscribers.operations.year_figures import subscriber_year
from shared.formatting import helsinki_year_bounds
from shared.labels import THEMES


def newsletter_year(session: Session, year: int) -> dict[str, Any]:
    """Every newsletter figure of the year, as JSON primitives (the API's answer and the report's part)."""
    issues = sent_issues(session, year)
    return {
        "year": year,
        "issues_sent": len(issues),
        "recipients": sum(issue["recipients"] for issue in issues),
        "issues": issues,
        "articles": article_figures(session, year),
        "subscribers": subscriber_year(session, year),
    }


def sent_issues(session: Session, year: int) -> list[dict[str, Any]]:
    start, end = helsinki_year_bounds(year)
    found = session.scalars(select(Issue).where(Issue.status == IssueStatus.SENT, Issue.sent_at >= start,
                                                Issue.sent_at < end).order_by(Issue.sent_at, Issue.id))
    return [{"id": issue.id, "title": _title(issue), "language": issue.language,
             "sent_at": issue.sent_at.isoformat() if issue.sent_at else None,
             "recipients": issue.total, "sent": issue.sent_count or 0, "failed": issue.failed_count or 0}
            for issue in found]


def _title(issue: Issue) -> str:
    version = issue.version(issue.language) or (issue.versions[0] if issue.versions else None)
    return version.title if version else ""


def article_figures(session: Session, year: int) -> dict[str, Any]:
    start, end = helsinki_year_bounds(year)
    submitted = list(session.scalars(select(Article.themes).where(Article.created_at >= start,
                                                                  Article.created_at < end)))
    published = list(session.scalars(
        select(Article.themes).where(Article.id.in_(
            select(ArticleDecision.article_id).where(ArticleDecision.to_status == ArticleStatus.PUBLISHED,
                                                     ArticleDecision.created_at >= start,
                                                     ArticleDecision.created_at < end)))))
    return {"submitted": len(submitted), "published": len(published),
            "submitted_by_theme": by_theme(submitted), "published_by_theme": by_theme(published)}


def by_theme(theme_lists: Iterable[Any]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for themes in theme_lists:
        counts.update({str(theme) for theme in (themes or [])})
    return {**dict.fromkeys(THEMES, 0), **counts}
