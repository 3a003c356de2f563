"""announcements: each subscriber's choice (each, weekly, none), announced events, their mailings and deliveries

Revision ID: s005_announcements
Revises: s004
Create Date: 2026-12-07 17:00:00

No row in announcement_choices means the default, a mail per event.
"""
from __future__ import annotations

import sqlalchemy as sa

import shared.db
from alembic import op

revision = 's005_announcements'
down_revision = 's004'
branch_labels = None
depends_on = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table('announcement_choices',
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=10), nullable=False),
    sa.Column('updated_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("choice IN ('each', 'weekly', 'none')", name=op.f('ck_announcement_choices_choice')),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'],
                            name=op.f('fk_announcement_choices_subscriber_id_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscriber_id', name=op.f('pk_announcement_choices'))
    )
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('url', sa.JSON(), nullable=False),
    sa.Column('starts_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('announced_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements')),
    sa.UniqueConstraint('event_id', name=op.f('uq_announcements_event_id')),
    **AUTOINCREMENT,
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcements_announced_at'), ['announced_at'], unique=False)

    op.create_table('announcement_mailings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('each', 'digest', name='announcement_mailing_kind', native_enum=False,
                              create_constraint=True, length=20), nullable=False),
    sa.Column('announcement_id', sa.Integer(), nullable=True),
    sa.Column('week', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('sending', 'paused', 'cancelled', 'sent', name='announcement_mailing_status',
                                native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('last_subscriber_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handed_over_at', shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'each') = (announcement_id IS NOT NULL)",
                       name=op.f('ck_announcement_mailings_each_has_announcement')),
    sa.CheckConstraint("(kind = 'digest') = (week IS NOT NULL)", name=op.f('ck_announcement_mailings_digest_has_week')),
    sa.ForeignKeyConstraint(['announcement_id'], ['announcements.id'],
                            name=op.f('fk_announcement_mailings_announcement_id_announcements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_mailings')),
    sa.UniqueConstraint('announcement_id', name=op.f('uq_announcement_mailings_announcement_id')),
    sa.UniqueConstraint('week', name=op.f('uq_announcement_mailings_week')),
    **AUTOINCREMENT,
    )
    op.create_table('announcement_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mailing_id'], ['announcement_mailings.id'],
                            name=op.f('fk_announcement_deliveries_mailing_id_announcement_mailings'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_deliveries')),
    sa.UniqueConstraint('mailing_id', 'subscriber_id',
                        name=op.f('uq_announcement_deliveries_mailing_id_subscriber_id')),
    **AUTOINCREMENT,
    )
    with op.batch_alter_table('announcement_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_announcement_deliveries_subscriber_id', ['subscriber_id'], unique=False)


def downgrade() -> None:
    op.drop_table('announcement_deliveries')
    op.drop_table('announcement_mailings')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcements_announced_at'))
    op.drop_table('announcements')
    op.drop_table('announcement_choices')
