"""JSON API of the surveys part at /newsletter/api/v1: the year's survey results, anonymous (coordinator
token). The annual report reads the same figures (`operations.results.results_for_year`)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.subscriptions.models import db
from services.subscriptions.surveys.operations.results import results_for_year
from services.subscriptions.surveys.schemas import SurveyResultSchema
from shared.auth import require_role
from shared.errors import ProblemApi

blp = Blueprint("surveys_api", __name__, url_prefix="/api/v1", description="The network's yearly surveys")


def register(api: ProblemApi) -> None:
    api.register_blueprint(blp)


@blp.route("/surveys/years/<int:year>/results")
class YearResultsView(MethodView):
    @require_role()
    @blp.response(200, SurveyResultSchema(many=True))
    def get(self, year: int) -> list[dict[str, Any]]:
        """The surveys sent in `year` with their response rates and per-question figures; no person in them
        (a year without surveys: an empty list)."""
        return results_for_year(db.session(), year)
