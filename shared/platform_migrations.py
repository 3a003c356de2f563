"""The platform tables' migrations (`shared.models`: api_tokens, jobs, outbox, processed_messages,
users, user_sessions), one copy for every service.

Each service's database holds these tables next to its own. Each service's first migration
(revision 0001) calls `create_platform_tables()` in `upgrade` and `drop_platform_tables()` in
`downgrade`. A later change to the platform tables is one more pair of functions here, called from
one new migration in each service. They use `alembic.op`, so they run only inside a migration.

- p002 (`revocable_sessions` / `drop_revocable_sessions`): `user_sessions`, `api_tokens.expires_at`,
  and on SQLite AUTOINCREMENT for the tables with integer ids (ids never reused after a delete).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime
from shared.migrations import autoincrement_on_sqlite, without_autoincrement_on_sqlite


def create_platform_tables() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Enum("pending", "running", "done", "failed", "cancelled", name="job_status",
                                    native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_due", ["status", "due_at"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("queue_name", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("relayed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_unacknowledged", ["acknowledged_at", "relayed_at"], unique=False)

    op.create_table(
        "processed_messages",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_messages")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )


def drop_platform_tables() -> None:
    op.drop_table("users")
    op.drop_table("processed_messages")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unacknowledged")

    op.drop_table("outbox")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_due")

    op.drop_table("jobs")
    op.drop_table("api_tokens")


# Tables with integer ids: on SQLite they are rebuilt with AUTOINCREMENT (p002).
AUTOINCREMENT_TABLES = ("api_tokens", "jobs", "outbox", "users")
# What an api_tokens row made before tokens had an expiry gets (p002): a year from the upgrade.
EXISTING_TOKEN_LIFETIME = dt.timedelta(days=365)


def _is_sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def revocable_sessions() -> None:
    """p002: server-side workspace sessions, API tokens that expire, and ids never reused on SQLite."""
    op.add_column("api_tokens", sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", UTCDateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=dt.datetime.now(dt.UTC) + EXISTING_TOKEN_LIFETIME))
    if _is_sqlite():  # one rebuild: NOT NULL and AUTOINCREMENT together
        with op.batch_alter_table("api_tokens", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.alter_column("expires_at", existing_type=UTCDateTime(timezone=True), nullable=False)
    else:
        op.alter_column("api_tokens", "expires_at", existing_type=UTCDateTime(timezone=True), nullable=False)
    autoincrement_on_sqlite(*(name for name in AUTOINCREMENT_TABLES if name != "api_tokens"))
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def drop_revocable_sessions() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    without_autoincrement_on_sqlite(*AUTOINCREMENT_TABLES)


def networks_table() -> None:
    """p003: the networks of a deployment with several (`shared.networks`)."""
    op.create_table(
        "networks",
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("languages", sa.String(length=20), nullable=False),
        sa.Column("mail_from", sa.String(length=320), nullable=False),
        sa.Column("postal_addresses", sa.JSON(), nullable=False),
        sa.Column("list_id", sa.String(length=200), nullable=False),
        sa.Column("colour", sa.String(length=20), nullable=False),
        sa.Column("logo_url", sa.String(length=500), nullable=False),
        sa.Column("dkim_domain", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_networks")),
    )


def drop_networks_table() -> None:
    op.drop_table("networks")
