"""organiser cancellations that can be undone: until when, and the status before

Revision ID: e006
Revises: 0004
Create Date: 2026-12-03 05:00:00

A head next to e005 (`upgrade heads` applies both).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = 'e006'
down_revision = '0004'
branch_labels = None
depends_on = None

STATUSES = "'pending', 'confirmed', 'waitlisted', 'cancelled', 'expired'"


def upgrade() -> None:
    with op.batch_alter_table('registrations', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('undo_until', shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_from', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(op.f('cancelled_from'), f"cancelled_from IN ({STATUSES})")


def downgrade() -> None:
    with op.batch_alter_table('registrations', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(op.f('cancelled_from'), type_='check')
        batch_op.drop_column('cancelled_from')
        batch_op.drop_column('undo_until')
