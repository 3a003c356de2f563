"""Personal data in the newsletter part: what articles hold about an author, and erasing it.

An author's address lives only on their articles. Export lists them; erasure deletes the
articles that were never published and strips the address from published ones (their text
and byline stay in the public archive, where they were published with the author's consent).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.subscriptions.newsletter.models import Article, ArticleStatus, IssueArticle
from shared.privacy import normalise_email

ERASED_ADDRESS = "erased@invalid.invalid"


def _articles_of(session: Session, email: str) -> list[Article]:
    return list(session.scalars(select(Article).where(func.lower(Article.author_email) == normalise_email(email))
                                .order_by(Article.id)))


def export_author(session: Session, email: str) -> list[dict[str, Any]]:
    """Every article this address submitted, with its status and review history."""
    return [{"id": a.id, "status": a.status.value, "title": a.title, "summary": a.summary, "body": a.body_markdown,
             "author_name": a.author_name, "email": a.author_email, "organisation": a.organisation,
             "themes": list(a.themes), "language": a.language, "image_url": a.image_url, "image_alt": a.image_alt,
             "submitted_at": a.created_at.isoformat(),
             "decisions": [{"status": d.to_status.value, "comment": d.comment, "at": d.created_at.isoformat()}
                           for d in a.decisions]}
            for a in _articles_of(session, email)]


def erase_author(session: Session, email: str) -> int:
    """Delete unpublished articles of this address and strip it from published ones; returns how many changed."""
    articles = _articles_of(session, email)
    for article in articles:
        if article.status == ArticleStatus.PUBLISHED:
            article.author_email = ERASED_ADDRESS
        else:
            # An accepted article may sit in a draft issue: it leaves the issue with its author.
            session.execute(delete(IssueArticle).where(IssueArticle.article_id == article.id))
            session.delete(article)
    session.flush()
    return len(articles)
