"""The events service's tables: events, registrations (with the waiting list), feedback and the calendar domain."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from shared.db import Database, make_registry, stored_enum, utcnow
from shared.models import PlatformBase


class Base(DeclarativeBase):
    registry = make_registry()


class EventKind(enum.Enum):
    SEMINAR = "seminar"
    TRAINING = "training"
    NETWORK_MEETING = "network-meeting"
    GROUP_MEETING = "group-meeting"


class EventMode(enum.Enum):
    ONSITE = "onsite"
    ONLINE = "online"
    HYBRID = "hybrid"


class Visibility(enum.Enum):
    PUBLIC = "public"
    UNLISTED = "unlisted"


class EventStatus(enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Participation(enum.Enum):
    ONSITE = "onsite"
    REMOTE = "remote"


class Sector(enum.Enum):
    """Where a participant works (asked at registration so participation can be reported by sector;
    labels in shared.labels.SECTOR_LABELS). Registrations made before it was asked have none."""

    EDUCATION = "education"
    EMPLOYMENT_SERVICES = "employment_services"
    YOUTH_AND_SOCIAL_SERVICES = "youth_and_social_services"
    HIGHER_EDUCATION = "higher_education"
    THIRD_SECTOR = "third_sector"
    BUSINESS = "business"
    OTHER = "other"


class RegistrationStatus(enum.Enum):
    """pending: holds a seat until the address is confirmed from the email (or the hold expires);
    confirmed: a seat; waitlisted: in the queue; cancelled; expired: an unconfirmed hold that ended."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


SEAT_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)
ACTIVE_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class Event(Base):
    """An event. Texts are per language ({"fi": …, "sv": …, "en": …}; fi required); times are UTC,
    `timezone` is the zone the event is shown and exported in."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        Index("ix_events_listing", "visibility", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[EventKind] = mapped_column(stored_enum(EventKind, "event_kind"))
    title: Mapped[dict[str, Any]]
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    themes: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    mode: Mapped[EventMode] = mapped_column(stored_enum(EventMode, "event_mode"))
    address: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None]
    onsite_capacity: Mapped[int | None]
    remote_capacity: Mapped[int | None]
    registration_opens_at: Mapped[dt.datetime | None]
    registration_closes_at: Mapped[dt.datetime | None]
    visibility: Mapped[Visibility] = mapped_column(stored_enum(Visibility, "event_visibility"),
                                                   default=Visibility.PUBLIC)
    organiser_name: Mapped[str] = mapped_column(String(200), default="")
    organiser_email: Mapped[str] = mapped_column(String(254), default="")
    rrule: Mapped[str | None] = mapped_column(String(300))
    exdates: Mapped[list[Any]] = mapped_column(default=list)
    questions: Mapped[list[Any]] = mapped_column(default=list)
    feedback_questions: Mapped[list[Any]] = mapped_column(default=list)
    reminder_minutes: Mapped[list[Any]] = mapped_column(default=lambda: [2 * 24 * 60, 120])
    status: Mapped[EventStatus] = mapped_column(stored_enum(EventStatus, "event_status"), default=EventStatus.SCHEDULED)
    sequence: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]
    # When the subscribers were told of the event (operations.announcing): set once, so an edit never announces again.
    announced_at: Mapped[dt.datetime | None]

    registrations: Mapped[list[Registration]] = relationship(back_populates="event", order_by="Registration.id")

    @hybrid_property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @is_cancelled.inplace.expression
    @classmethod
    def _is_cancelled_expression(cls) -> ColumnElement[bool]:
        return cls.status == EventStatus.CANCELLED

    def text(self, field: str, language: str) -> str:
        """The title or description in `language`, falling back to Finnish."""
        values: dict[str, Any] = getattr(self, field) or {}
        return str(values.get(language) or values.get("fi") or "")

    def ways_to_take_part(self) -> list[Participation]:
        """On site, remotely, or either (a hybrid event)."""
        if self.mode is EventMode.ONSITE:
            return [Participation.ONSITE]
        if self.mode is EventMode.ONLINE:
            return [Participation.REMOTE]
        return [Participation.ONSITE, Participation.REMOTE]


class Registration(Base):
    """One person's registration for one event: a seat held until the address is confirmed
    (pending, until `hold_until`), a seat (confirmed), a place in the waiting list (waitlisted,
    ordered by `queued_at`, id), cancelled or expired. One row per address and event.
    `address_confirmed_at`: when the person confirmed the address from the email (or the organiser
    confirmed it by hand); a waiting person with a confirmed address gets a freed seat outright."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "email_hash"),
        Index("ix_registrations_queue", "event_id", "status", "queued_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    sector: Mapped[Sector | None] = mapped_column(stored_enum(Sector, "sector", length=30))
    participation: Mapped[Participation] = mapped_column(stored_enum(Participation, "participation"))
    language: Mapped[str] = mapped_column(String(2), default="fi")
    dietary_needs: Mapped[str] = mapped_column(Text, default="")
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[RegistrationStatus] = mapped_column(stored_enum(RegistrationStatus, "registration_status"))
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmations_sent: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_confirmation_at: Mapped[dt.datetime | None]
    promoted_at: Mapped[dt.datetime | None]
    hold_until: Mapped[dt.datetime | None]
    address_confirmed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    # An organiser's cancellation can be undone until `undo_until`; meanwhile `cancelled_from` keeps the
    # status before it, the seat stays held and the email waits (operations.registrations.cancel_by_organiser).
    undo_until: Mapped[dt.datetime | None]
    cancelled_from: Mapped[RegistrationStatus | None] = mapped_column(
        stored_enum(RegistrationStatus, "cancelled_from"))
    checked_in: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    feedback_requested_at: Mapped[dt.datetime | None]  # the feedback request went out (operations.feedback)
    erased_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="registrations")

    @hybrid_property
    def holds_seat(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @holds_seat.inplace.expression
    @classmethod
    def _holds_seat_expression(cls) -> ColumnElement[bool]:
        return cls.status == RegistrationStatus.CONFIRMED

    @hybrid_property
    def takes_seat(self) -> bool:
        """Confirmed or pending: counts against the capacity."""
        return self.status in SEAT_STATUSES

    @takes_seat.inplace.expression
    @classmethod
    def _takes_seat_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(SEAT_STATUSES)


class FeedbackResponse(Base):
    """One feedback answer per registration; reports never show who gave it."""

    __tablename__ = "feedback_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), unique=True)
    ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CalendarDomain(Base):
    """The domain in every calendar UID (`<uuid>@<domain>`): the site's host when the first UID was made,
    kept when ELO_BASE_URL changes, so a moved site never shows its events twice in subscribers'
    calendars. One row (`services.events.calendar.calendar_domain` fills it)."""

    __tablename__ = "calendar_domain"
    __table_args__ = (CheckConstraint("name = 'calendar'", name="one_row"),)

    name: Mapped[str] = mapped_column(String(20), primary_key=True, default="calendar")
    domain: Mapped[str] = mapped_column(String(253))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


db = Database("events", [Base.metadata, PlatformBase.metadata])
