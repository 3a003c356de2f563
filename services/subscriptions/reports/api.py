"""JSON API of the annual report at /newsletter/api/v1/reports (coordinators; the newsletter's own figures also to
other services with the service token). Thin views: one use-case, commit."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.subscriptions.models import db
from services.subscriptions.newsletter.operations.year_figures import newsletter_year
from services.subscriptions.reports.operations import compose
from shared.auth import current_role, require_role
from shared.errors import ProblemApi

blp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports", description="The network's annual report")


def register(api: ProblemApi) -> None:
    api.register_blueprint(blp)


class NewsletterYearSchema(Schema):
    year = fields.Integer()
    issues_sent = fields.Integer()
    recipients = fields.Integer()
    issues = fields.List(fields.Dict())
    articles = fields.Dict(metadata={"description": "submitted, published, submitted_by_theme, published_by_theme"})
    subscribers = fields.Dict(metadata={"description": "subscribers_at_start, subscribers_at_end, by_month, "
                                                       "joined, left, left_by_reason, unsubscribes, erased"})


class ReportSchema(Schema):
    year = fields.Integer()
    composed_at = fields.String()
    themes = fields.List(fields.Dict(), metadata={"description": "theme, events, registrations, attended, "
                                                                 "published_articles (the six strategy themes)"})
    events = fields.Dict(allow_none=True, metadata={"description": "The events service's figures; null when it "
                                                                   "did not answer (live reports only)."})
    newsletter = fields.Nested(NewsletterYearSchema)
    surveys = fields.List(fields.Dict())
    finalised = fields.Boolean()
    finalised_at = fields.String(allow_none=True)
    finalised_by = fields.String(allow_none=True)


@blp.route("/years/<int:year>/newsletter")
class NewsletterYearView(MethodView):
    @require_role("service")
    @blp.response(200, NewsletterYearSchema)
    def get(self, year: int) -> Any:
        """The newsletter's figures of the year, computed now: issues sent, articles, subscribers."""
        compose.check_year(year)
        return newsletter_year(db.session(), year)


@blp.route("/years/<int:year>")
class ReportView(MethodView):
    @require_role("coordinator")
    @blp.response(200, ReportSchema)
    def get(self, year: int) -> Any:
        """The composed report: as stored when the year is finalised, else computed now."""
        return compose.report(db.session(), year).as_dict()


@blp.route("/years/<int:year>/finalise")
class FinaliseView(MethodView):
    @require_role("coordinator")
    @blp.response(200, ReportSchema)
    def post(self, year: int) -> Any:
        """Store the year's figures as they are now; they no longer change. 409: already finalised, the year is
        not over, or the events service did not answer (nothing is stored)."""
        session = db.session()
        found = compose.finalise(session, year, by=f"API ({current_role()})")
        session.commit()
        return found.as_dict()
