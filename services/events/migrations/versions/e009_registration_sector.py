"""registration sector: where the participant works (asked at registration; the annual report counts by it)

Revision ID: e009
Revises: e008_announced
Create Date: 2026-12-07 20:00:00

Registrations made before the question was asked keep no sector (the report shows them as unknown).
A promotion from the waiting list is already recorded (`promoted_at`, 0001).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e009'
down_revision = 'e008_announced'
branch_labels = None
depends_on = None

SECTORS = ("'education', 'employment_services', 'youth_and_social_services', 'higher_education', 'third_sector', "
           "'business', 'other'")


def upgrade() -> None:
    with op.batch_alter_table('registrations', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('sector', sa.String(length=30), nullable=True))
        batch_op.create_check_constraint(op.f('ck_registrations_sector'), f"sector IN ({SECTORS})")


def downgrade() -> None:
    with op.batch_alter_table('registrations', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(op.f('ck_registrations_sector'), type_='check')
        batch_op.drop_column('sector')
