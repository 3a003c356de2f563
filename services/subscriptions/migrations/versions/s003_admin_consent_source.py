"""admin as a consent source: the coordinator unsubscribes someone on their request

Revision ID: s003
Revises: s002
Create Date: 2026-11-23 07:45:00
"""
from __future__ import annotations

from alembic import op

revision = 's003'
down_revision = 's002'
branch_labels = None
depends_on = None

OLD = "'form', 'api', 'import', 'email', 'mailer', 'demo'"
NEW = OLD + ", 'admin'"
CHECKS = (("subscribers", "subscriber_source"), ("consent_events", "consent_source"))


def _replace(sources: str) -> None:
    for table, name in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")
            batch_op.create_check_constraint(op.f(name), f"source IN ({sources})")


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    _replace(OLD)
