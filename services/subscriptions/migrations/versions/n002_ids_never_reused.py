"""ids never reused: AUTOINCREMENT on SQLite (PostgreSQL sequences never reuse an id)

Revision ID: n002
Revises: n001
Create Date: 2026-12-02 04:00:02
"""
from __future__ import annotations

from shared.migrations import autoincrement_on_sqlite, without_autoincrement_on_sqlite

revision = 'n002'
down_revision = 'n001'
branch_labels = None
depends_on = None

TABLES = ('articles', 'article_decisions', 'issues', 'issue_versions', 'issue_articles', 'issue_deliveries')


def upgrade() -> None:
    autoincrement_on_sqlite(*TABLES)


def downgrade() -> None:
    without_autoincrement_on_sqlite(*TABLES)
