"""anonymous mail counted across networks: the anonymous_mail table (used in the default network)

Revision ID: m_anonymous_02
Revises: m_inbound_01
Create Date: 2026-12-07 20:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = 'm_anonymous_02'
down_revision = 'm_inbound_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'anonymous_mail',
        sa.Column('key', sa.String(length=260), nullable=False),
        sa.Column('email_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_anonymous_mail')),
    )
    op.create_index(op.f('ix_anonymous_mail_email_hash'), 'anonymous_mail', ['email_hash'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_anonymous_mail_email_hash'), table_name='anonymous_mail')
    op.drop_table('anonymous_mail')
