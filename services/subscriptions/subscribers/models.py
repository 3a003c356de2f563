"""Tables of the subscribers part (on the subscriptions service's Base).

A subscriber is mailable only when confirmed. Every change of consent is a `ConsentEvent`;
an erased or undeliverable address leaves only its keyed hash in `Suppression`.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from services.subscriptions.models import Base
from shared.db import stored_enum, utcnow

TOPICS = ("newsletter", "events", "trainings")
SUBSCRIBER_LANGUAGES = ("fi", "sv", "en")
# The wording of the consent sentence on the subscribe form; bump it when the text changes.
CONSENT_WORDING_VERSION = "2026-11"


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class ConsentAction(enum.StrEnum):
    SUBSCRIBE = "subscribe"
    CONFIRM = "confirm"
    CHANGE = "change"
    UNSUBSCRIBE = "unsubscribe"
    IMPORT = "import"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    ERASE = "erase"


class ConsentSource(enum.StrEnum):
    FORM = "form"
    API = "api"
    IMPORT = "import"
    EMAIL = "email"  # a link or one-click header in an email
    MAILER = "mailer"  # a bounce or complaint report
    DEMO = "demo"
    ADMIN = "admin"  # the coordinator, on the person's request (a reply, a phone call)


class SuppressionReason(enum.StrEnum):
    ERASED = "erased"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


def _new_token_key() -> str:
    return secrets.token_hex(8)


class Subscriber(Base):
    __tablename__ = "subscribers"
    __table_args__ = (
        CheckConstraint("language IN ('fi', 'sv', 'en')", name="language"),
        Index("ix_subscribers_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[SubscriberStatus] = mapped_column(stored_enum(SubscriberStatus, "subscriber_status"))
    source: Mapped[ConsentSource] = mapped_column(stored_enum(ConsentSource, "subscriber_source"))
    consent_wording_version: Mapped[str] = mapped_column(String(20), default=CONSENT_WORDING_VERSION)
    # Bound into every link token: a token made for an erased subscriber never fits a later row with its id.
    token_key: Mapped[str] = mapped_column(String(16), default=_new_token_key)
    confirmations_day: Mapped[dt.date | None]
    confirmations_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_confirmation_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[dt.datetime | None]
    unsubscribed_at: Mapped[dt.datetime | None]

    topics: Mapped[list[SubscriberTopic]] = relationship(back_populates="subscriber", cascade="all, delete-orphan",
                                                         passive_deletes=True, lazy="selectin",
                                                         order_by="SubscriberTopic.topic")
    consent_events: Mapped[list[ConsentEvent]] = relationship(back_populates="subscriber",
                                                              cascade="all, delete-orphan", passive_deletes=True,
                                                              order_by="ConsentEvent.id")

    @hybrid_property
    def is_mailable(self) -> bool:
        return self.status == SubscriberStatus.CONFIRMED

    @is_mailable.inplace.expression
    @classmethod
    def _is_mailable_expression(cls) -> ColumnElement[bool]:
        return cls.status == SubscriberStatus.CONFIRMED

    @property
    def topic_names(self) -> list[str]:
        return sorted(topic.topic for topic in self.topics)

    def set_topics(self, topics: list[str] | tuple[str, ...] | set[str]) -> None:
        wanted = set(topics)
        self.topics = [t for t in self.topics if t.topic in wanted]
        have = {t.topic for t in self.topics}
        self.topics.extend(SubscriberTopic(topic=topic) for topic in sorted(wanted - have))


class SubscriberTopic(Base):
    """What a subscriber wants to hear about; the newsletter selects confirmed subscribers of 'newsletter'."""

    __tablename__ = "subscriber_topics"
    __table_args__ = (
        CheckConstraint("topic IN ('newsletter', 'events', 'trainings')", name="topic"),
        Index("ix_subscriber_topics_topic_subscriber", "topic", "subscriber_id"),
    )

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(20), primary_key=True)

    subscriber: Mapped[Subscriber] = relationship(back_populates="topics")


class ConsentEvent(Base):
    """Proof of consent: what happened, when, through which channel, under which wording, in which language.

    Holds the keyed hash of the address, never the address itself, so an erase record can stay.
    """

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_email_hash", "email_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    email_hash: Mapped[str] = mapped_column(String(64))
    action: Mapped[ConsentAction] = mapped_column(stored_enum(ConsentAction, "consent_action"))
    source: Mapped[ConsentSource] = mapped_column(stored_enum(ConsentSource, "consent_source"))
    wording_version: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    topics: Mapped[str] = mapped_column(String(100), default="")  # space-separated topics after the event
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    subscriber: Mapped[Subscriber | None] = relationship(back_populates="consent_events")


class Suppression(Base):
    """An address that must not be mailed (erased, hard-bounced, complained), kept only as its keyed hash."""

    __tablename__ = "subscriber_suppressions"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[SuppressionReason] = mapped_column(stored_enum(SuppressionReason, "suppression_reason"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

