"""sent when the mailer is done: the hand-over time and the final sent / failed / suppressed counts

Revision ID: n003
Revises: n002
Create Date: 2026-12-10 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa

import shared.db
from alembic import op

revision = 'n003'
down_revision = 'n002'
branch_labels = None
depends_on = None

COUNTS = ('sent_count', 'failed_count', 'suppressed_count')


def upgrade() -> None:
    with op.batch_alter_table('issues', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('handed_over_at', shared.db.UTCDateTime(timezone=True), nullable=True))
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('issues', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        for name in reversed(COUNTS):
            batch_op.drop_column(name)
        batch_op.drop_column('handed_over_at')
