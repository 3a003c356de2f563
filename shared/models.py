"""Platform tables that every service's database holds next to its own tables.

They have their own metadata so that shared code can use them with any service's session;
each service's migrations create them (see `shared.migrations`). Tables with integer ids use
AUTOINCREMENT on SQLite too, so an id is never handed out again after its row was deleted.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_registry, stored_enum, utcnow


class PlatformBase(DeclarativeBase):
    registry = make_registry()


class OutboxMessage(PlatformBase):
    """A message written in the same transaction as the change that causes it.

    pending → relayed (the broker took it) → acknowledged (the consumer finished it).
    The sweeper re-sends pending rows and relayed rows not acknowledged in time.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unacknowledged", "acknowledged_at", "relayed_at"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    actor_name: Mapped[str] = mapped_column(String(100))
    queue_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    relayed_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)


class JobStatus(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job(PlatformBase):
    """Time-based work: a row with `due_at`, claimed with row locks by a scheduler tick."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "due_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[dt.datetime]
    status: Mapped[JobStatus] = mapped_column(stored_enum(JobStatus, "job_status"), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(PlatformBase):
    """A bearer token for admin calls. Only its SHA-256 is stored; it works until `expires_at` or
    until revoked (`elo tokens revoke`)."""

    __tablename__ = "api_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class ProcessedMessage(PlatformBase):
    """Keys of messages an actor has already applied, for actors with no natural key of their own."""

    __tablename__ = "processed_messages"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(PlatformBase):
    """A person who logs in to a service's admin pages (argon2 password hash)."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


class UserSession(PlatformBase):
    """A workspace login. The signed session cookie carries a random token; only its SHA-256 is the id
    here, so the server can end a session (logout, password reset, role change) even where the cookie
    was copied. It ends when idle too long, and in any case after a fixed lifetime."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]


class NetworkRow(PlatformBase):
    """A network of this deployment besides the default one (`shared.networks`). Kept in the default
    network's database of every service; `elo network add` writes the same row to each."""

    __tablename__ = "networks"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    languages: Mapped[str] = mapped_column(String(20))
    mail_from: Mapped[str] = mapped_column(String(320))
    postal_addresses: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    list_id: Mapped[str] = mapped_column(String(200), default="")
    colour: Mapped[str] = mapped_column(String(20), default="")
    logo_url: Mapped[str] = mapped_column(String(500), default="")
    dkim_domain: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
