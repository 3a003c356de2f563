"""mail events: bounces, complaints and mailed unsubscribes per sent message

Revision ID: m_inbound_01
Revises: 0004
Create Date: 2026-12-07 16:18:56.209034
"""
from __future__ import annotations

import sqlalchemy as sa

import shared.db
from alembic import op

revision = 'm_inbound_01'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=100), nullable=True),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', name='mail_event_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('occurred_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_mail_events_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_events')),
    sa.UniqueConstraint('delivery_id', 'kind', name=op.f('uq_mail_events_delivery_id_kind')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('mail_events', schema=None) as batch_op:
        batch_op.create_index('ix_mail_events_campaign_kind', ['campaign', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_events_email_hash'), ['email_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mail_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_events_email_hash'))
        batch_op.drop_index('ix_mail_events_campaign_kind')
    op.drop_table('mail_events')
