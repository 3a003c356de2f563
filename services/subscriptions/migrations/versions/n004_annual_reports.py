"""annual reports: a finalised year's composed figures, stored as they were

Revision ID: n004
Revises: n003
Create Date: 2026-12-07 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa

import shared.db
from alembic import op

revision = 'n004'
down_revision = 'n003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('annual_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('finalised_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finalised_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_reports')),
    sa.UniqueConstraint('year', name=op.f('uq_annual_reports_year')),
    sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table('annual_reports')
