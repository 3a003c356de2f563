"""Tables of the newsletter part (on the subscriptions service's Base): articles, their review
history, issues with language versions, and one delivery row per issue and subscriber."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.subscriptions.models import Base
from shared.db import stored_enum, utcnow


class ArticleStatus(enum.Enum):
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes-requested"
    RESUBMITTED = "resubmitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class IssueStatus(enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


class Article(Base):
    """A member's article for the newsletter. `body_html` is the sanitised rendering of `body_markdown`."""

    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ArticleStatus] = mapped_column(stored_enum(ArticleStatus, "article_status"),
                                                  default=ArticleStatus.SUBMITTED)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str] = mapped_column(String(200))
    author_email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200))
    themes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(2))
    image_url: Mapped[str | None] = mapped_column(String(500))
    image_alt: Mapped[str | None] = mapped_column(String(300))
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    decisions: Mapped[list[ArticleDecision]] = relationship(back_populates="article",
                                                            order_by="ArticleDecision.id",
                                                            cascade="all, delete-orphan")


class ArticleDecision(Base):
    """One status change of an article: who (role), from, to, and the optional comment."""

    __tablename__ = "article_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ArticleStatus] = mapped_column(stored_enum(ArticleStatus, "article_decision_from"))
    to_status: Mapped[ArticleStatus] = mapped_column(stored_enum(ArticleStatus, "article_decision_to"))
    by_role: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="decisions")


class Issue(Base):
    """A newsletter issue. `language` is its primary version's; the expansion cursor makes sending resumable."""

    __tablename__ = "issues"
    __table_args__ = (CheckConstraint("total >= 0", name="total_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[IssueStatus] = mapped_column(stored_enum(IssueStatus, "issue_status"), default=IssueStatus.DRAFT)
    include_events: Mapped[bool] = mapped_column(default=False)
    # Snapshot of upcoming events taken when the issue was composed; None = section unavailable.
    events: Mapped[list[Any] | None] = mapped_column(JSON)
    scheduled_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_subscriber_id: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    # Every recipient is with the mailer; the issue stays "sending" until the mailer has sent, failed or
    # suppressed each one, and then keeps the three counts (the mailer's log may be purged later).
    handed_over_at: Mapped[dt.datetime | None]
    sent_count: Mapped[int | None]
    failed_count: Mapped[int | None]
    suppressed_count: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[IssueVersion]] = relationship(back_populates="issue", order_by="IssueVersion.id",
                                                        cascade="all, delete-orphan")

    @property
    def events_available(self) -> bool | None:
        """Whether the events section could be filled; None when the issue has no events section."""
        return self.events is not None if self.include_events else None

    def version(self, language: str) -> IssueVersion | None:
        return next((version for version in self.versions if version.language == language), None)

    @property
    def primary(self) -> IssueVersion:
        version = self.version(self.language)
        if version is None:
            raise LookupError(f"issue {self.id} has no {self.language} version")
        return version


class IssueVersion(Base):
    """The issue in one language: its title, editorial introduction and ordered articles."""

    __tablename__ = "issue_versions"
    __table_args__ = (UniqueConstraint("issue_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")

    issue: Mapped[Issue] = relationship(back_populates="versions")
    items: Mapped[list[IssueArticle]] = relationship(back_populates="version", order_by="IssueArticle.position",
                                                     cascade="all, delete-orphan")


class IssueArticle(Base):
    __tablename__ = "issue_articles"
    __table_args__ = (UniqueConstraint("version_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("issue_versions.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    position: Mapped[int]

    version: Mapped[IssueVersion] = relationship(back_populates="items")
    article: Mapped[Article] = relationship()


class IssueDelivery(Base):
    """The issue was handed to the mailer for this subscriber: unique, so never twice.

    Holds the subscriber's id only (no address), so erasing a subscriber leaves nothing personal here.
    """

    __tablename__ = "issue_deliveries"
    __table_args__ = (UniqueConstraint("issue_id", "subscriber_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int]
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
