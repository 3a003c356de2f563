"""feedback requested: when the feedback request went to a registration (the response rate's denominator)

Revision ID: e007
Revises: 0004
Create Date: 2026-12-03 05:00:00

Requests sent before this migration are not known: their events show the answers without a rate.
"""
from __future__ import annotations

import sqlalchemy as sa

import shared.db
from alembic import op

revision = 'e007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registrations', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('feedback_requested_at', shared.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('registrations', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column('feedback_requested_at')
