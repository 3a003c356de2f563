"""JSON API of the subscribers part: the public subscription, and the coordinator's list, import and export."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import ConsentSource
from services.subscriptions.subscribers.operations import consent, importing, listing
from services.subscriptions.subscribers.schemas import (
    SubscriberImportReportOut,
    SubscriberPageOut,
    SubscriberQuery,
    SubscriptionAcceptedOut,
    SubscriptionIn,
)
from shared.auth import require_role
from shared.csvfile import csv_response
from shared.errors import InvalidInput, ProblemApi

blp = Blueprint("subscribers", __name__, url_prefix="/api/v1",
                description="Subscriptions (public) and subscribers (coordinator)")

ACCEPTED = {"status": "accepted",
            "detail": "Thank you. If the address can receive mail, a message is on its way to it."}


def register(api: ProblemApi) -> None:
    api.register_blueprint(blp)


@blp.before_request
def _limit_public_requests() -> None:
    """Before the body is read, so a flood of malformed bodies is limited too."""
    if request.method == "POST" and request.endpoint == f"{blp.name}.Subscriptions":
        consent.limit_per_ip(request.remote_addr)


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    # An instance, not the class: webargs would build a new schema for every request (about a tenth of the
    # request's time); marshmallow keeps no state on it while loading.
    @blp.arguments(SubscriptionIn())
    @blp.response(202, SubscriptionAcceptedOut)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Subscribe (double opt-in). The same answer whether the address is new, pending or subscribed."""
        session = db.session()
        consent.request_subscription(session, consent.SubscriptionRequest.from_input(data), ConsentSource.API,
                                     honeypot=data.get("website"))
        if session.in_transaction():  # production's intake committed its row on its own
            session.commit()
        return ACCEPTED


@blp.route("/subscribers")
class Subscribers(MethodView):
    @require_role("coordinator")
    @blp.arguments(SubscriberQuery, location="query")
    @blp.response(200, SubscriberPageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List, search and filter subscribers (keyset pages on id), with counts (topics: confirmed only)."""
        session = db.session()
        scope = listing.SubscriberFilter.from_args(args)
        items, next_after = listing.page_after(session, scope, after=args["after"], limit=args["limit"])
        return {"items": items, "total": listing.count(session, scope), "next_after": next_after,
                "counts": listing.counts(session).as_dict()}


IMPORT_RULE = ("A CSV file in UTF-8: a header row naming the column email (and any of name, organisation, "
               "language, topics, consent_at, status, unsubscribed_at), cells up to 128 KB.")
IMPORT_BODY = {"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "minLength": 1, "x-rule": IMPORT_RULE, "description": IMPORT_RULE}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "x-rule": IMPORT_RULE, "description": IMPORT_RULE}}}}}}


@blp.route("/subscribers/import")
class SubscriberImport(MethodView):
    @require_role("coordinator")
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.response(200, SubscriberImportReportOut)
    def post(self) -> dict[str, Any]:
        """Import a CSV (body `text/csv`, or a multipart field `file`); the export's file imports back unchanged.
        Bad rows are reported by row number."""
        upload = request.files.get("file")
        raw = upload.read() if upload else request.get_data()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput("The file is not UTF-8 text.", errors={"file": ["Save the file as CSV UTF-8."]}) \
                from error
        session = db.session()
        report = importing.import_csv(session, text)
        session.commit()
        return report.as_dict()


@blp.route("/subscribers/export.csv")
class SubscriberExport(MethodView):
    @require_role("coordinator")
    @blp.arguments(SubscriberQuery, location="query")
    @blp.response(200, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Response:
        """CSV of the subscribers matching the filters: the import's columns, then status, created_at and
        unsubscribed_at (the same file as the workspace's export)."""
        rows = listing.export_rows(db.session(), listing.SubscriberFilter.from_args(args))
        return csv_response(listing.export_filename(), listing.EXPORT_COLUMNS, rows)
