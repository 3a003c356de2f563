"""ids never reused: AUTOINCREMENT on SQLite (PostgreSQL sequences never reuse an id)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:00:02
"""
from __future__ import annotations

from shared.migrations import autoincrement_on_sqlite, without_autoincrement_on_sqlite

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('deliveries', 'captured_mail', 'suppressions')


def upgrade() -> None:
    autoincrement_on_sqlite(*TABLES)


def downgrade() -> None:
    without_autoincrement_on_sqlite(*TABLES)
