"""ids never reused: AUTOINCREMENT on SQLite (PostgreSQL sequences never reuse an id)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:00:01
"""
from __future__ import annotations

from shared.migrations import autoincrement_on_sqlite, without_autoincrement_on_sqlite

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ('events', 'registrations', 'feedback_responses')


def upgrade() -> None:
    autoincrement_on_sqlite(*TABLES)


def downgrade() -> None:
    without_autoincrement_on_sqlite(*TABLES)
