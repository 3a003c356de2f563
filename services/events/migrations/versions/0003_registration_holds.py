"""registration holds: pending (a seat held until the address is confirmed) and expired

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:00:00
"""
from __future__ import annotations

import sqlalchemy as sa

import shared.db
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD = "'confirmed', 'waitlisted', 'cancelled'"
NEW = "'pending', 'confirmed', 'waitlisted', 'cancelled', 'expired'"


def upgrade() -> None:
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_until', shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('address_confirmed_at', shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('registration_status'), type_='check')
        batch_op.create_check_constraint(op.f('registration_status'), f"status IN ({NEW})")


def downgrade() -> None:
    op.execute("UPDATE registrations SET status = 'confirmed' WHERE status = 'pending'")
    op.execute("UPDATE registrations SET status = 'cancelled' WHERE status = 'expired'")
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('registration_status'), type_='check')
        batch_op.create_check_constraint(op.f('registration_status'), f"status IN ({OLD})")
        batch_op.drop_column('address_confirmed_at')
        batch_op.drop_column('hold_until')
