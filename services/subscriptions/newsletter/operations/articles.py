"""Use-cases for articles: submission, the review workflow, the author's resubmission and withdrawal.

The review workflow is the table TRANSITIONS, used by the API and the pages alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from services.subscriptions.newsletter import emails
from services.subscriptions.newsletter.models import Article, ArticleDecision, ArticleStatus
from services.subscriptions.newsletter.operations.content import render_markdown
from shared.db import utcnow
from shared.errors import Conflict, NotFound
from shared.privacy import email_hash
from shared.ratelimit import check_rate
from shared.tokens import DAY, make_token, read_token

S = ArticleStatus
EDITOR, AUTHOR, SENDING = "editor", "author", "sending"

# (from, to) → who may make that change. Everything not listed is an invalid transition (409).
TRANSITIONS: dict[tuple[ArticleStatus, ArticleStatus], str] = {
    (S.SUBMITTED, S.ACCEPTED): EDITOR,
    (S.SUBMITTED, S.REJECTED): EDITOR,
    (S.SUBMITTED, S.CHANGES_REQUESTED): EDITOR,
    (S.RESUBMITTED, S.ACCEPTED): EDITOR,
    (S.RESUBMITTED, S.REJECTED): EDITOR,
    (S.RESUBMITTED, S.CHANGES_REQUESTED): EDITOR,
    (S.CHANGES_REQUESTED, S.RESUBMITTED): AUTHOR,
    (S.ACCEPTED, S.PUBLISHED): SENDING,
    (S.SUBMITTED, S.WITHDRAWN): AUTHOR,
    (S.RESUBMITTED, S.WITHDRAWN): AUTHOR,
    (S.CHANGES_REQUESTED, S.WITHDRAWN): AUTHOR,
    (S.ACCEPTED, S.WITHDRAWN): AUTHOR,
}
DECISIONS = (S.ACCEPTED, S.REJECTED, S.CHANGES_REQUESTED)
REVIEW_QUEUE = (S.SUBMITTED, S.RESUBMITTED)  # waiting for an editor's decision
REVIEW_LISTING_LIMIT = 200
STATUS_TOKEN_PURPOSE = "article-status"  # noqa: S105 - a token purpose, not a secret
STATUS_TOKEN_MAX_AGE = 365 * DAY
SUBMISSIONS_PER_IP_HOUR = 10
SUBMISSIONS_PER_ADDRESS_HOUR = 5


def allowed(current: ArticleStatus, target: ArticleStatus, who: str) -> bool:
    return TRANSITIONS.get((current, target)) == who


def next_statuses(current: ArticleStatus, who: str) -> list[ArticleStatus]:
    return [target for (source, target), actor in TRANSITIONS.items() if source == current and actor == who]


@dataclass(frozen=True)
class ArticleFields:
    title: str
    summary: str
    body: str
    author_name: str
    email: str
    organisation: str
    themes: list[str]
    language: str
    image_url: str | None
    image_alt: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleFields:
        return cls(title=data["title"], summary=data["summary"], body=data["body"], author_name=data["author_name"],
                   email=data["email"], organisation=data["organisation"], themes=list(data["themes"]),
                   language=data["language"], image_url=data.get("image_url") or None,
                   image_alt=data.get("image_alt") or None)


def limit_per_ip(remote_addr: str | None) -> None:
    """TooManyRequests past the hourly submissions of one client (counted before the body is read, so invalid
    submissions are throttled too)."""
    check_rate(f"articles:ip:{remote_addr}", SUBMISSIONS_PER_IP_HOUR, 3600)


def limit_per_address(secret_key: str, email: str) -> None:
    """TooManyRequests past the hourly submissions of one address (counted by its hash)."""
    check_rate(f"articles:address:{email_hash(secret_key, email)}", SUBMISSIONS_PER_ADDRESS_HOUR, 3600)


def article_stamp(article: Article) -> str:
    """When the article was created, to the microsecond: with its id, it names one article."""
    return article.created_at.strftime("%Y%m%d%H%M%S%f")


def status_token(secret_key: str, article: Article) -> str:
    """The id and the creation time (`k`): an author's link never opens another author's article, even
    where an id could be given again (links made before `k` was added are read by the id alone)."""
    return make_token(secret_key, STATUS_TOKEN_PURPOSE, {"a": article.id, "k": article_stamp(article)})


def status_url(base_url: str, secret_key: str, article: Article) -> str:
    """The author's link to the article's status page (withdraw, resubmit)."""
    return f"{base_url}/newsletter/articles/{status_token(secret_key, article)}"


def article_from_token(session: Session, secret_key: str, token: str, *, lock: bool = False) -> Article:
    """The article a status link is for; raises shared.tokens.TokenError for a bad link."""
    data = read_token(secret_key, STATUS_TOKEN_PURPOSE, token, STATUS_TOKEN_MAX_AGE)
    article = get_article(session, int(data["a"]), lock=lock)
    if "k" in data and data["k"] != article_stamp(article):
        raise NotFound("No article with this id.")
    return article


def get_article(session: Session, article_id: int, *, lock: bool = False) -> Article:
    article = session.get(Article, article_id, with_for_update=lock or None)
    if article is None:
        raise NotFound("No article with this id.")
    return article


def _apply_fields(article: Article, fields: ArticleFields) -> None:
    article.title, article.summary = fields.title.strip(), fields.summary.strip()
    article.body_markdown, article.body_html = fields.body, render_markdown(fields.body)
    article.author_name, article.author_email = fields.author_name.strip(), fields.email.strip()
    article.organisation, article.themes, article.language = fields.organisation.strip(), fields.themes, fields.language
    article.image_url, article.image_alt = fields.image_url, fields.image_alt
    article.updated_at = utcnow()


# A double click, or a request retried after its answer was lost, submits the same article again
# moments later: it is the same article, and its author's receipt is already on the way.
SAME_SUBMISSION_WITHIN = dt.timedelta(minutes=10)


def submit_article(session: Session, fields: ArticleFields, *, base_url: str, secret_key: str) -> Article:
    """A new submitted article and its receipt, or the same article submitted moments ago."""
    _one_submission_at_a_time(session, fields.email)
    earlier = _same_recent_submission(session, fields)
    if earlier is not None:
        return earlier
    article = Article(status=S.SUBMITTED)
    _apply_fields(article, fields)
    session.add(article)
    session.flush()
    emails.article_received(session, article, status_url=status_url(base_url, secret_key, article))
    return article


def _one_submission_at_a_time(session: Session, email: str) -> None:
    """Two submissions from one address at the same moment take turns, so the second sees the first.
    (SQLite lets one writer in at a time anyway; PostgreSQL needs a lock, held until commit.)"""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(b"article-submission:" + email.strip().lower().encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)})


def _same_recent_submission(session: Session, fields: ArticleFields) -> Article | None:
    candidates = session.scalars(select(Article).where(
        Article.status == S.SUBMITTED, func.lower(Article.author_email) == fields.email.strip().lower(),
        Article.title == fields.title.strip(), Article.created_at >= utcnow() - SAME_SUBMISSION_WITHIN))
    return next((article for article in candidates
                 if article.body_markdown == fields.body and article.summary == fields.summary.strip()), None)


def _change_status(session: Session, article: Article, target: ArticleStatus, *, who: str, role: str,
                   comment: str | None) -> ArticleDecision:
    if not allowed(article.status, target, who):
        raise Conflict(f"An article that is {article.status.value} cannot become {target.value}.")
    decision = ArticleDecision(from_status=article.status, to_status=target, by_role=role, comment=comment or None)
    article.decisions.append(decision)
    article.status = target
    article.updated_at = utcnow()
    session.flush()
    return decision


def decide(session: Session, article_id: int, decision: ArticleStatus, *, role: str, comment: str | None,
           base_url: str, secret_key: str) -> Article:
    """An editor's or coordinator's decision; the author gets it (and the comment) by email."""
    article = get_article(session, article_id, lock=True)
    if decision not in DECISIONS:
        raise Conflict(f"{decision.value} is not a review decision.")
    made = _change_status(session, article, decision, who=EDITOR, role=role, comment=comment)
    emails.article_decision(session, article, made, status_url=status_url(base_url, secret_key, article))
    return article


def resubmit(session: Session, article: Article, fields: ArticleFields, *, base_url: str,
             secret_key: str) -> Article:
    """The author's changes after `changes-requested`; the email address stays the one that submitted."""
    _change_status(session, article, S.RESUBMITTED, who=AUTHOR, role=AUTHOR, comment=None)
    _apply_fields(article, ArticleFields(**{**fields.__dict__, "email": article.author_email}))
    article.revision += 1
    emails.article_received(session, article, status_url=status_url(base_url, secret_key, article))
    return article


def withdraw(session: Session, article: Article) -> Article:
    _change_status(session, article, S.WITHDRAWN, who=AUTHOR, role=AUTHOR, comment=None)
    return article


def publish(session: Session, article: Article) -> None:
    """Called when an issue carrying the article has been sent."""
    if article.status == S.ACCEPTED:
        _change_status(session, article, S.PUBLISHED, who=SENDING, role="system", comment=None)


def list_articles(session: Session, status: ArticleStatus | None = None) -> list[Article]:
    query = select(Article).order_by(Article.id)
    if status is not None:
        query = query.where(Article.status == status)
    return list(session.scalars(query))


def review_listing(session: Session, limit: int = REVIEW_LISTING_LIMIT) -> list[Article]:
    """The review queue first, then the others; the most recently changed first in each."""
    waiting_first = case((Article.status.in_(REVIEW_QUEUE), 0), else_=1)
    return list(session.scalars(select(Article).order_by(waiting_first, Article.updated_at.desc()).limit(limit)))


def articles_by_ids(session: Session, article_ids: list[int]) -> list[Article]:
    """The articles that exist among `article_ids`, in that order."""
    found = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(article_ids)))}
    return [found[i] for i in article_ids if i in found]
