"""the networks of a deployment with several (platform table)

Revision ID: p003
Revises: p002
Create Date: 2026-12-07 17:00:00.000000
"""
from __future__ import annotations

from shared.platform_migrations import drop_networks_table, networks_table

revision = 'p003'
down_revision = 'p002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    networks_table()


def downgrade() -> None:
    drop_networks_table()
