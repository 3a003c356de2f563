"""the cause of a delivery: "anonymous" mail is capped per address

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:30:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.add_column(sa.Column('cause', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.drop_column('cause')
