"""ids never reused: AUTOINCREMENT on SQLite (PostgreSQL sequences never reuse an id)

Revision ID: s004
Revises: s003
Create Date: 2026-12-02 04:00:02
"""
from __future__ import annotations

from shared.migrations import autoincrement_on_sqlite, without_autoincrement_on_sqlite

revision = 's004'
down_revision = 's003'
branch_labels = None
depends_on = None

TABLES = ('subscribers', 'consent_events')


def upgrade() -> None:
    autoincrement_on_sqlite(*TABLES)


def downgrade() -> None:
    without_autoincrement_on_sqlite(*TABLES)
