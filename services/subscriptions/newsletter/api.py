"""JSON API of the newsletter part at /newsletter/api/v1: article submission and review, issues and sending.

Thin views: validate, one use-case, commit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import ArticleStatus, IssueStatus
from services.subscriptions.newsletter.operations import articles, issues, preview, progress, sending
from services.subscriptions.newsletter.schemas import (
    AcceptedSchema,
    ArticleInSchema,
    ArticleOutSchema,
    ArticleQuerySchema,
    AudienceSchema,
    DecisionInSchema,
    IssueInSchema,
    IssueOutSchema,
    IssuePatchSchema,
    IssueQuerySchema,
    IssueSummarySchema,
    PreviewQuerySchema,
    SendSchema,
    TestSendOutSchema,
    TestSendSchema,
)
from shared.auth import current_role, require_role
from shared.errors import InvalidInput, ProblemApi

P = ParamSpec("P")
R = TypeVar("R")

blp = Blueprint("newsletter_api", __name__, url_prefix="/api/v1", description="Articles and newsletter issues")


def register(api: ProblemApi) -> None:
    """Add this part's API to the subscriptions app."""
    api.register_blueprint(blp)


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


def _secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def rate_limited(view: Callable[P, R]) -> Callable[P, R]:
    """Submissions per client are counted before the body is read, so invalid ones are throttled too."""
    @functools.wraps(view)
    def limited(*args: P.args, **kwargs: P.kwargs) -> R:
        articles.limit_per_ip(request.remote_addr)
        return view(*args, **kwargs)

    return limited


# --- articles ------------------------------------------------------------------------------------

@blp.route("/articles")
class ArticlesView(MethodView):
    @rate_limited
    @blp.arguments(ArticleInSchema)
    @blp.response(202, AcceptedSchema)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Submit an article (public). The author gets a receipt with a link to its status page."""
        if data.pop("website", ""):
            return {"status": "submitted"}
        articles.limit_per_address(_secret_key(), data["email"])
        session = db.session()
        articles.submit_article(session, articles.ArticleFields.from_dict(data), base_url=_base_url(),
                                secret_key=_secret_key())
        session.commit()
        return {"status": "submitted"}

    @require_role("editor")
    @blp.arguments(ArticleQuerySchema, location="query")
    @blp.response(200, ArticleOutSchema(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Articles, oldest first (role editor)."""
        status = ArticleStatus(query["status"]) if "status" in query else None
        return articles.list_articles(db.session(), status)


@blp.route("/articles/<int:article_id>")
class ArticleView(MethodView):
    @require_role("editor")
    @blp.response(200, ArticleOutSchema)
    def get(self, article_id: int) -> Any:
        return articles.get_article(db.session(), article_id)


@blp.route("/articles/<int:article_id>/decision")
class DecisionView(MethodView):
    @require_role("editor")
    @blp.arguments(DecisionInSchema)
    @blp.response(200, ArticleOutSchema)
    def post(self, data: dict[str, Any], article_id: int) -> Any:
        """accepted | rejected | changes-requested; the optional comment is emailed to the author. 409: not allowed."""
        session = db.session()
        article = articles.decide(session, article_id, ArticleStatus(data["decision"]), role=str(current_role()),
                                  comment=data.get("comment"), base_url=_base_url(), secret_key=_secret_key())
        session.commit()
        return article


# --- issues --------------------------------------------------------------------------------------

@blp.route("/issues")
class IssuesView(MethodView):
    @require_role("editor")
    @blp.arguments(IssueInSchema)
    @blp.response(201, IssueOutSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Compose a draft issue from accepted articles, in one or more languages."""
        session = db.session()
        issue = issues.compose(session, data)
        session.commit()
        return progress.report(issue)

    @require_role("editor")
    @blp.arguments(IssueQuerySchema, location="query")
    @blp.response(200, IssueSummarySchema(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        status = IssueStatus(query["status"]) if "status" in query else None
        return issues.list_issues(db.session(), status)


@blp.route("/issues/<int:issue_id>")
class IssueView(MethodView):
    @require_role("editor")
    @blp.response(200, IssueOutSchema)
    def get(self, issue_id: int) -> Any:
        """The issue with its sending progress {total, sent, failed}."""
        return progress.report(issues.get_issue(db.session(), issue_id))

    @require_role("editor")
    @blp.arguments(IssuePatchSchema)
    @blp.response(200, IssueOutSchema)
    def patch(self, data: dict[str, Any], issue_id: int) -> Any:
        """Edit a draft or scheduled issue (409 once it is sending or sent)."""
        session = db.session()
        issue = issues.update(session, issue_id, data)
        session.commit()
        return progress.report(issue)


@blp.route("/issues/<int:issue_id>/preview")
class PreviewView(MethodView):
    @require_role("editor")
    @blp.arguments(PreviewQuerySchema, location="query")
    @blp.response(200, content_type="text/html")
    def get(self, query: dict[str, Any], issue_id: int) -> Response:
        """The HTML a subscriber gets (their personal links shown as examples)."""
        issue = issues.get_issue(db.session(), issue_id)
        html = preview.issue_html(issue, query.get("language") or issue.language,
                                  primary_language=str(current_app.config["PRIMARY_LANGUAGE"]), base_url=_base_url())
        return Response(html, mimetype="text/html")


@blp.route("/issues/<int:issue_id>/test-send")
class TestSendView(MethodView):
    @require_role("editor")
    @blp.arguments(TestSendSchema)
    @blp.response(202, TestSendOutSchema)
    def post(self, data: dict[str, Any], issue_id: int) -> dict[str, int]:
        session = db.session()
        queued = sending.test_send(session, issue_id, data["emails"], data.get("language"))
        session.commit()
        return {"queued": queued}


def _audience(issue_id: int) -> dict[str, Any]:
    session = db.session()
    groups = sending.audience(session, issues.get_issue(session, issue_id))
    return {"total": sum(group.count for group in groups), "languages": groups}


@blp.route("/issues/<int:issue_id>/recipients")
class RecipientsView(MethodView):
    @require_role("editor")
    @blp.response(200, AudienceSchema)
    def get(self, issue_id: int) -> Any:
        """Who gets the issue if it is sent now: the total and the count per subscriber language."""
        return _audience(issue_id)


@blp.route("/issues/<int:issue_id>/send")
class SendView(MethodView):
    @require_role("editor")
    @blp.arguments(SendSchema)
    @blp.response(202, IssueOutSchema)
    def post(self, data: dict[str, Any], issue_id: int) -> Any:
        """Send now, or at a future `at` (ISO-8601 with zone), with `"confirm": true`; without it nothing is
        sent and the 422 tells how many would get it. A scheduled issue can be moved or sent now."""
        sending.check_send_time(data["at"])
        if not data["confirm"]:
            audience = _audience(issue_id)
            counts = ", ".join(f"{group.language} {group.count}" for group in audience["languages"])
            raise InvalidInput(f"Nothing was sent: confirm with \"confirm\": true. The issue would go to "
                               f"{audience['total']} recipients ({counts or 'none'}).",
                               errors={"confirm": ["Must be true to send."]})
        session = db.session()
        issue = sending.send(session, issue_id, data["at"])
        session.commit()
        return progress.report(issue)


def _state_change(action: str) -> Any:
    change = {"pause": sending.pause, "resume": sending.resume, "cancel": sending.cancel}[action]

    @require_role("editor")
    @blp.response(200, IssueOutSchema)
    def post(self: MethodView, issue_id: int) -> Any:
        session = db.session()
        issue = change(session, issue_id)
        session.commit()
        return progress.report(issue)

    post.__doc__ = f"{action.capitalize()} sending (409 when the issue is not in a state that allows it)."
    return type(f"Issue{action.capitalize()}View", (MethodView,), {"post": post})


for _action in ("pause", "resume", "cancel"):
    blp.route(f"/issues/<int:issue_id>/{_action}")(_state_change(_action))
