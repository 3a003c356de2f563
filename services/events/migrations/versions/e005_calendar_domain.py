"""calendar domain: the domain in every calendar UID, stored once so a new ELO_BASE_URL keeps the UIDs

Revision ID: e005
Revises: 0004
Create Date: 2026-12-03 04:00:00

Empty after the upgrade: the first UID made afterwards stores the host of ELO_BASE_URL at that
moment, which is the host every UID published so far was made with.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = 'e005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_domain',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("name = 'calendar'", name=op.f('ck_calendar_domain_one_row')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_calendar_domain')),
    )


def downgrade() -> None:
    op.drop_table('calendar_domain')
