"""JSON API of the mailer: delivery log, campaign counts, bounce webhook, personal data."""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from services.mailer import people
from services.mailer.models import Delivery, DeliveryStatus, db
from shared.auth import SERVICE_ROLE, bearer_token, require_role
from shared.db import utcnow
from shared.errors import NotFound, ServiceUnavailable, Unauthorized
from shared.schemas import BodySchema, QuerySchema

blp = Blueprint("mailer_api", __name__, url_prefix="/api/v1", description="Delivery log, bounces, personal data")


class DeliveryQuery(QuerySchema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=200),
                        metadata={"description": "The idempotency key the sender gave"})


class DeliveryOut(Schema):
    idempotency_key = fields.String()
    status = fields.Function(lambda row: row.status.value,
                             metadata={"enum": [status.value for status in DeliveryStatus]})
    template = fields.String()
    language = fields.String()
    campaign = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class CampaignOut(Schema):
    campaign = fields.String()
    total = fields.Integer()
    queued = fields.Integer()
    sending = fields.Integer()
    sent = fields.Integer()
    retrying = fields.Integer()
    failed = fields.Integer()
    suppressed = fields.Integer()


class BounceIn(BodySchema):
    email = fields.Email(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("hard-bounce", "complaint")))
    occurred_at = fields.AwareDateTime(load_default=None)
    detail = fields.String(load_default=None, validate=validate.Length(max=500))


class BounceOut(Schema):
    recorded = fields.Boolean(metadata={"description": "False when the address was already suppressed"})


class PersonalDataIn(BodySchema):
    email = fields.Email(required=True)


class PersonalDataOut(Schema):
    service = fields.String()
    data = fields.Dict()


@blp.route("/deliveries")
class Deliveries(MethodView):
    @require_role(SERVICE_ROLE, "editor", "organizer")
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, DeliveryOut)
    def get(self, query: dict[str, Any]) -> Delivery:
        """The delivery of one idempotency key: status, attempts, last error, times."""
        row = db.session().scalar(select(Delivery).where(Delivery.idempotency_key == query["key"]))
        if row is None:
            raise NotFound("No delivery has this key.")
        return row


@blp.route("/campaigns/<string:campaign>")
class Campaign(MethodView):
    @require_role(SERVICE_ROLE, "editor")
    @blp.response(200, CampaignOut)
    def get(self, campaign: str) -> dict[str, Any]:
        """How many messages of a campaign (e.g. a newsletter issue) are in each state."""
        return campaign_counts(campaign)


def campaign_counts(campaign: str) -> dict[str, Any]:
    counts = {status.value: 0 for status in DeliveryStatus}
    rows = db.session().execute(select(Delivery.status, func.count()).where(Delivery.campaign == campaign)
                                .group_by(Delivery.status))
    for status, count in rows:
        counts[status.value] = count
    return {"campaign": campaign, "total": sum(counts.values()), **counts}


@blp.route("/bounces")
class Bounces(MethodView):
    @blp.arguments(BounceIn)
    @blp.response(200, BounceOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Record a hard bounce or complaint (the relay's webhook, `Authorization: Bearer <ELO_BOUNCE_SECRET>`).

        The address gets no more list mail and the subscriptions service is told.
        """
        _check_bounce_secret()
        session = db.session()
        recorded = people.record_suppression(session, secret_key=current_app.config["SECRET_KEY"],
                                             email=data["email"], reason=data["type"],
                                             occurred_at=data["occurred_at"] or utcnow(), detail=data["detail"])
        session.commit()
        return {"recorded": recorded}


def _check_bounce_secret() -> None:
    secret = current_app.config["ELO_SETTINGS"].bounce_secret
    if not secret:
        raise ServiceUnavailable("Bounces are not accepted: ELO_BOUNCE_SECRET is not set.")
    given = bearer_token()
    if given is None or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized("The bounce secret is missing or wrong.")


@blp.route("/personal-data/export")
class PersonalDataExport(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.arguments(PersonalDataIn)
    @blp.response(200, PersonalDataOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Everything the mailer holds about an address (GDPR export, for the subscriptions service)."""
        exported = people.export(db.session(), secret_key=current_app.config["SECRET_KEY"], email=data["email"])
        return {"service": "mailer", "data": exported}
