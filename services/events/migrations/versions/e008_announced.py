"""announced: when the subscribers were told of an event (once; an edit never announces again)

Revision ID: e008_announced
Revises: e007
Create Date: 2026-12-07 17:00:00

Public events that exist before this migration count as announced: editing one must not announce it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = 'e008_announced'
down_revision = 'e007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('announced_at', shared.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE events SET announced_at = created_at WHERE visibility = 'public'")


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column('announced_at')
