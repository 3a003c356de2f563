"""`/api/v1/ops/…` on every service: what is waiting in the outbox and the job table."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from shared.auth import require_role
from shared.db import current_database, utcnow
from shared.models import Job, JobStatus, OutboxMessage

blueprint = Blueprint("ops", __name__, url_prefix="/api/v1/ops", description="Operations (coordinator)")


class OutboxCounts(Schema):
    pending = fields.Integer(metadata={"description": "Written, not yet taken by the broker"})
    relayed = fields.Integer(metadata={"description": "Taken by the broker, not yet acknowledged"})
    acknowledged = fields.Integer()
    jobs_due = fields.Integer(metadata={"description": "Scheduled jobs due now and not yet run"})
    jobs_failed = fields.Integer()


@blueprint.route("/outbox")
class Outbox(MethodView):
    @require_role("coordinator")
    @blueprint.response(200, OutboxCounts)
    def get(self) -> dict[str, Any]:
        """Counts of messages and jobs in this service's database."""
        session = current_database().session()
        acknowledged = OutboxMessage.acknowledged_at.is_not(None)
        count = func.count(OutboxMessage.id)
        return {
            "pending": session.scalar(select(count).where(OutboxMessage.relayed_at.is_(None), ~acknowledged)),
            "relayed": session.scalar(select(count).where(OutboxMessage.relayed_at.is_not(None), ~acknowledged)),
            "acknowledged": session.scalar(select(count).where(acknowledged)),
            "jobs_due": session.scalar(select(func.count(Job.id)).where(Job.status == JobStatus.PENDING,
                                                                        Job.due_at <= utcnow())),
            "jobs_failed": session.scalar(select(func.count(Job.id)).where(Job.status == JobStatus.FAILED)),
        }
