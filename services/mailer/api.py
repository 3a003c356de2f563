"""JSON API of the mailer: delivery log, campaign counts and feedback, bounce webhook, previews, personal data."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.mailer import feedback, operations, privacy
from services.mailer.config import current_config
from services.mailer.models import Delivery, db
from services.mailer.schemas import (
    BounceIn,
    BounceOut,
    CampaignFeedbackOut,
    CampaignOut,
    DeliveryOut,
    DeliveryQuery,
    PersonalDataOut,
    PreviewIn,
    PreviewOut,
)
from shared.auth import SERVICE_ROLE, bearer_token, require_role
from shared.db import utcnow
from shared.errors import InvalidInput, ServiceUnavailable, Unauthorized
from shared.privacy import PersonalDataRequest, email_hash
from shared.web import NUL

P = ParamSpec("P")
R = TypeVar("R")

blp = Blueprint("mailer_api", __name__, url_prefix="/api/v1",
                description="Delivery log, bounces, previews, personal data")


@blp.route("/deliveries")
class Deliveries(MethodView):
    @require_role(SERVICE_ROLE, "editor", "organizer")
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, DeliveryOut)
    def get(self, query: dict[str, Any]) -> Delivery:
        """The delivery of one idempotency key: status, attempts, last error, times."""
        return operations.delivery_by_key(db.session(), query["key"])


@blp.route("/campaigns/<string:campaign>")
class Campaign(MethodView):
    @require_role(SERVICE_ROLE, "editor")
    @blp.response(200, CampaignOut)
    def get(self, campaign: str) -> dict[str, Any]:
        """How many messages of a campaign (e.g. a newsletter issue) are in each state."""
        return operations.campaign_counts(db.session(), campaign)


@blp.route("/campaigns/<string:campaign>/feedback")
class CampaignFeedback(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.response(200, CampaignFeedbackOut)
    def get(self, campaign: str) -> dict[str, Any]:
        """What came back from a campaign's messages: bounces, complaints and unsubscribes, with the addresses
        masked. Any campaign key works (a newsletter issue, an event announcement); one the mailer has not
        seen answers zeros."""
        if NUL in campaign:  # the request check reads query and body, not the path; PostgreSQL cannot compare NUL
            raise InvalidInput("Check these fields: campaign.", errors={"campaign": ["Remove the NUL character."]})
        return feedback.feedback_with_addresses(db.session(), campaign)


@blp.route("/previews")
class Previews(MethodView):
    @require_role(SERVICE_ROLE, "editor")
    @blp.arguments(PreviewIn)
    @blp.response(200, PreviewOut)
    def post(self, data: dict[str, Any]) -> Any:
        """An email rendered exactly as it is sent: subject, HTML and text as the recipient reads them.

        Nothing is sent or stored. Per-recipient values not given in `personal` are examples:
        the address `lukija@example.fi`, no name, links to the site's front page.
        """
        return operations.render_preview(current_config().site, template=data["template"],
                                         language=data["language"], context=data["context"],
                                         personal=data["personal"], list_mail=data["list_mail"])


def _check_bounce_secret() -> None:
    secret = current_app.config["ELO_SETTINGS"].bounce_secret
    if not secret:
        raise ServiceUnavailable("Bounces are not accepted: ELO_BOUNCE_SECRET is not set.")
    given = bearer_token()
    if given is None or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized("The bounce secret is missing or wrong.")


def bounce_secret_required(view: Callable[P, R]) -> Callable[P, R]:
    """The relay's secret is checked before the body: without it the answer is 401, whatever was sent."""
    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        _check_bounce_secret()
        return view(*args, **kwargs)

    checked.authenticate_first = _check_bounce_secret  # type: ignore[attr-defined]  # shared.web: before input
    return checked


@blp.route("/bounces")
class Bounces(MethodView):
    @bounce_secret_required
    @blp.arguments(BounceIn)
    @blp.response(200, BounceOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Record a hard bounce or complaint (the relay's webhook, `Authorization: Bearer <ELO_BOUNCE_SECRET>`).

        The address gets no more list mail and the subscriptions service is told.
        """
        session = db.session()
        recorded = operations.record_suppression(session, secret_key=current_app.config["SECRET_KEY"],
                                                 email=data["email"], reason=data["type"],
                                                 occurred_at=data["occurred_at"] or utcnow(), detail=data["detail"])
        session.commit()
        return {"recorded": recorded}


@blp.route("/personal-data/export")
class PersonalDataExport(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.arguments(PersonalDataRequest)
    @blp.response(200, PersonalDataOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Everything the mailer holds about an address, or the address with this keyed hash (GDPR export)."""
        exported = privacy.export_by_hash(db.session(), _address_hash(data))
        return {"service": "mailer", "data": exported}


@blp.route("/personal-data/lookup")
class PersonalDataLookup(MethodView):
    @require_role(SERVICE_ROLE)
    @blp.arguments(PersonalDataRequest)
    @blp.response(200)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Whether the mailer holds the address in clear (so a "my data" link is mailed only where there is data)."""
        return {"service": "mailer", "holds": privacy.holds(db.session(), _address_hash(data))}


def _address_hash(data: dict[str, Any]) -> str:
    return str(data.get("email_hash") or email_hash(current_app.config["SECRET_KEY"], data["email"]))
