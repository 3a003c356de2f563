"""Tables of the announcements part (on the subscriptions service's Base): each subscriber's choice, the
announced events, their mailings (one per event, one per digest week) and one delivery per mailing and
subscriber.

A mailing is sent like a newsletter issue: expanded step by step behind a cursor, each recipient handed to
the mailer once (`AnnouncementDelivery` is unique per mailing and subscriber).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.subscriptions.models import Base
from shared.db import stored_enum, utcnow

EACH, WEEKLY, NONE = "each", "weekly", "none"
CHOICES = (EACH, WEEKLY, NONE)
DEFAULT_CHOICE = EACH


class MailingKind(enum.Enum):
    EACH = "each"  # one event, to the subscribers who want a mail per event
    DIGEST = "digest"  # a week's events, to the subscribers who want a weekly digest


class MailingStatus(enum.Enum):
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    SENT = "sent"  # every recipient is with the mailer


class AnnouncementChoice(Base):
    """How a subscriber of `events` wants announcements; no row means the default, a mail per event."""

    __tablename__ = "announcement_choices"
    __table_args__ = (CheckConstraint("choice IN ('each', 'weekly', 'none')", name="choice"),)

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Announcement(Base):
    """A public event as the events service announced it (`shared.contract.EventAnnounced`): once per event."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(unique=True)
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[dict[str, Any]] = mapped_column(JSON)
    url: Mapped[dict[str, Any]] = mapped_column(JSON)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    mode: Mapped[str] = mapped_column(String(10))
    place: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(40))
    themes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    announced_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    mailing: Mapped[AnnouncementMailing | None] = relationship(back_populates="announcement")

    def text(self, language: str, primary: str) -> tuple[str, str]:
        """(title, page link) in `language`, else in the primary language."""
        return _in_language(self.title, language, primary), _in_language(self.url, language, primary)


def _in_language(values: dict[str, Any], language: str, primary: str) -> str:
    return str(values.get(language) or values.get(primary) or next(iter(values.values()), ""))


class AnnouncementMailing(Base):
    """One sending: an event's announcement (unique per announcement) or a week's digest (unique per week)."""

    __tablename__ = "announcement_mailings"
    __table_args__ = (
        CheckConstraint("(kind = 'each') = (announcement_id IS NOT NULL)", name="each_has_announcement"),
        CheckConstraint("(kind = 'digest') = (week IS NOT NULL)", name="digest_has_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailingKind] = mapped_column(stored_enum(MailingKind, "announcement_mailing_kind"))
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"),
                                                        unique=True)
    week: Mapped[dt.date | None] = mapped_column(unique=True)  # a digest: the Monday it goes out
    status: Mapped[MailingStatus] = mapped_column(stored_enum(MailingStatus, "announcement_mailing_status"),
                                                  default=MailingStatus.SENDING)
    last_subscriber_id: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    handed_over_at: Mapped[dt.datetime | None]

    announcement: Mapped[Announcement | None] = relationship(back_populates="mailing")


class AnnouncementDelivery(Base):
    """The mailing was handed to the mailer for this subscriber: unique, so never twice. No address here."""

    __tablename__ = "announcement_deliveries"
    __table_args__ = (UniqueConstraint("mailing_id", "subscriber_id"),
                      Index("ix_announcement_deliveries_subscriber_id", "subscriber_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("announcement_mailings.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int]
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
