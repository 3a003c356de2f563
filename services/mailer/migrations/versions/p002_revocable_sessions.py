"""revocable sessions, expiring API tokens, ids never reused (platform tables)

Revision ID: p002
Revises: 0001
Create Date: 2026-12-02 04:00:00.000000

A second head next to this service's own chain (`upgrade heads` applies both).
"""
from __future__ import annotations

from shared.platform_migrations import drop_revocable_sessions, revocable_sessions

revision = 'p002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    revocable_sessions()


def downgrade() -> None:
    drop_revocable_sessions()
