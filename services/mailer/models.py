"""The mailer service's tables: the delivery log, captured mail, suppressions, the shared rate bucket."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Engine,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from shared.db import Database, make_registry, stored_enum, utcnow
from shared.models import PlatformBase


class Base(DeclarativeBase):
    registry = make_registry()


class DeliveryStatus(enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SUPPRESSED)


class Delivery(Base):
    """One email to one person, one row per idempotency key: the same key never sends twice.

    queued → sending → sent | retrying (→ sending …) | failed; suppressed when the address
    must get no list mail. `lease_until` and `claimed_by` say who is sending it now.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_campaign_status", "campaign", "status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    campaign: Mapped[str | None] = mapped_column(String(100))
    template: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    recipient: Mapped[str | None] = mapped_column(String(254))  # cleared when the person is erased
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    list_mail: Mapped[bool] = mapped_column(default=False)
    origin: Mapped[str | None] = mapped_column(String(50))
    cause: Mapped[str | None] = mapped_column(String(20))  # "anonymous": capped per address (EmailRequest.cause)
    status: Mapped[DeliveryStatus] = mapped_column(stored_enum(DeliveryStatus, "delivery_status"),
                                                   default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None]

    @hybrid_property
    def finished(self) -> bool:
        return self.status in FINISHED

    @finished.inplace.expression
    @classmethod
    def _finished_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(FINISHED)


class CapturedMail(Base):
    """In the embedded run (no ELO_SMTP_URL) mail is kept here and shown at /mailer/outbox/."""

    __tablename__ = "captured_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    template: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SuppressionReason(enum.Enum):
    HARD_BOUNCE = "hard-bounce"
    COMPLAINT = "complaint"


class Suppression(Base):
    """An address that must get no list mail. Only its keyed hash is kept."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[SuppressionReason] = mapped_column(stored_enum(SuppressionReason, "suppression_reason"))
    detail: Mapped[str | None] = mapped_column(String(500))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AnonymousMail(Base):
    """One message caused by anonymous input, in any network: the system-wide count behind the daily cap.

    Kept in the default network's database only (every network counts there); rows older than a day go."""

    __tablename__ = "anonymous_mail"

    key: Mapped[str] = mapped_column(String(260), primary_key=True)  # "<network slug>:<idempotency key>"
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MailEventKind(enum.Enum):
    HARD_BOUNCE = "hard-bounce"
    SOFT_BOUNCE = "soft-bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"


class MailEvent(Base):
    """What came back about one sent message (a DSN, a complaint report, a mailed unsubscribe).

    One row per message and kind, so a report received twice counts once. `campaign` is copied from
    the delivery, so an issue's bounces, complaints and unsubscribes are counted without a join.
    """

    __tablename__ = "mail_events"
    __table_args__ = (
        UniqueConstraint("delivery_id", "kind"),
        Index("ix_mail_events_campaign_kind", "campaign", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    campaign: Mapped[str | None] = mapped_column(String(100))
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[MailEventKind] = mapped_column(stored_enum(MailEventKind, "mail_event_kind"))
    status: Mapped[str | None] = mapped_column(String(20))  # RFC 3463 code, e.g. "5.1.1"
    detail: Mapped[str | None] = mapped_column(String(500))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RateBucket(Base):
    """The send-rate cap shared by every worker process (when Redis is not configured).

    `next_slot` is the epoch second at which the next message may go (GCRA, no burst).
    """

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    next_slot: Mapped[float] = mapped_column(default=0.0)


db = Database("mailer", [Base.metadata, PlatformBase.metadata])


def engine_without_disk_wait(url: str, **options: Any) -> Engine:
    """A PostgreSQL engine for the delivery log's own writes, whose commits do not wait for the disk.

    If the database server itself crashes, the last fraction of a second of such writes may be
    lost; none of them loses a message (see `services.mailer.log`).
    """
    engine = create_engine(url, hide_parameters=True, pool_recycle=600, **options)
    event.listen(engine, "connect", _no_disk_wait)
    return engine


def _no_disk_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET synchronous_commit TO off")
    cursor.close()
    dbapi_connection.commit()
