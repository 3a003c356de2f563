"""last confirmation time: a repeated subscribe moments later sends no second email

Revision ID: s002
Revises: s001
Create Date: 2026-11-23 07:00:00
"""
from __future__ import annotations

import sqlalchemy as sa

import shared.db
from alembic import op

revision = 's002'
down_revision = 's001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_confirmation_at', shared.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_column('last_confirmation_at')
