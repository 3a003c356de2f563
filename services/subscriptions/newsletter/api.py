"""Pages and API of the newsletter part: article submission and review, issues, the public archive."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, current_app, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from services.subscriptions.models import db
from services.subscriptions.newsletter import archive, articles, issues, preview, sending
from services.subscriptions.newsletter.models import ArticleStatus, IssueStatus
from services.subscriptions.newsletter.schemas import (
    AcceptedSchema,
    ArticleInSchema,
    ArticleOutSchema,
    ArticleQuerySchema,
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
from shared.errors import Gone, NotFound, ProblemApi
from shared.labels import THEME_LABELS, THEMES
from shared.privacy import email_hash
from shared.ratelimit import check_rate
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language

P = ParamSpec("P")
R = TypeVar("R")

api_blp = Blueprint("newsletter_api", __name__, url_prefix="/api/v1", description="Articles and newsletter issues")

SUBMISSIONS_PER_IP_HOUR = 10
SUBMISSIONS_PER_ADDRESS_HOUR = 5
FIELD_LABELS = {
    "title": lazy_gettext("Title"), "summary": lazy_gettext("Summary"), "body": lazy_gettext("Article text"),
    "author_name": lazy_gettext("Your name"), "email": lazy_gettext("Email address"),
    "organisation": lazy_gettext("Organisation"), "themes": lazy_gettext("Themes"),
    "language": lazy_gettext("Language of the article"), "image_url": lazy_gettext("Image address (https)"),
    "image_alt": lazy_gettext("Image description"),
}
FIELD_ERRORS = {
    "title": lazy_gettext("Write a title of 3 to 200 characters."),
    "summary": lazy_gettext("Write a summary of 10 to 600 characters."),
    "body": lazy_gettext("Write the article: at least 20 characters."),
    "author_name": lazy_gettext("Write your name."),
    "email": lazy_gettext("Write an email address, for example name@example.fi."),
    "organisation": lazy_gettext("Write the name of your organisation."),
    "themes": lazy_gettext("Choose at least one theme."),
    "language": lazy_gettext("Choose the language of the article."),
    "image_url": lazy_gettext("Give an image address that starts with https://."),
    "image_alt": lazy_gettext("Describe the image for people who cannot see it."),
}


def register(app: Flask, api: ProblemApi) -> None:
    """Add this part's pages and API to the subscriptions app."""
    app.add_url_rule("/submit", "newsletter_submit", submit_page, methods=["GET", "POST"])
    app.add_url_rule("/submit/thanks", "newsletter_submitted", submitted_page)
    app.add_url_rule("/articles/<token>", "newsletter_article_status", article_status_page, methods=["GET", "POST"])
    app.add_url_rule("/archive/", "newsletter_archive", archive_page)
    app.add_url_rule("/archive/<int:issue_id>", "newsletter_archive_issue", archive_issue_page)
    app.add_url_rule("/archive/feed.atom", "newsletter_feed", feed)
    api.register_blueprint(api_blp)


def _settings() -> tuple[str, str]:
    return str(current_app.config["BASE_URL"]), str(current_app.config["SECRET_KEY"])


def _limit_per_ip() -> None:
    """Counted before the body is read, so invalid submissions are throttled too."""
    check_rate(f"articles:ip:{request.remote_addr}", SUBMISSIONS_PER_IP_HOUR, 3600)


def _limit_per_address(email: str) -> None:
    check_rate(f"articles:address:{email_hash(_settings()[1], email)}", SUBMISSIONS_PER_ADDRESS_HOUR, 3600)


def rate_limited(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def limited(*args: P.args, **kwargs: P.kwargs) -> R:
        _limit_per_ip()
        return view(*args, **kwargs)

    return limited


# --- pages ---------------------------------------------------------------------------------------

def _theme_options(language: str) -> list[tuple[str, str]]:
    return [(key, THEME_LABELS[key][language]) for key in THEMES]


def _form_data() -> dict[str, Any]:
    form = request.form
    data: dict[str, Any] = {name: form.get(name, "") for name in
                            ("title", "summary", "body", "author_name", "email", "organisation", "language",
                             "image_url", "image_alt")}
    data["themes"] = form.getlist("themes")
    for optional in ("image_url", "image_alt"):
        data[optional] = data[optional].strip() or None
    return data


def _validate_form(data: dict[str, Any], *, exclude: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return ArticleInSchema(partial=exclude).load({k: v for k, v in data.items() if k not in exclude}), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        return {}, {name: [str(FIELD_ERRORS.get(name, _("Check this field.")))] for name in messages}


def _render_form(template: str, values: dict[str, Any], errors: dict[str, Any], status: int = 200,
                 **extra: Any) -> tuple[str, int]:
    return render_template(template, values=values, errors=errors, labels=FIELD_LABELS,
                           theme_options=_theme_options(current_language()),
                           language_options=[(code, name) for code, name in _language_choices()], **extra), status


def _language_choices() -> list[tuple[str, str]]:
    return [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]


def submit_page() -> tuple[str, int] | WerkzeugResponse:
    if request.method == "GET":
        return _render_form("newsletter/submit.html", {"language": current_language(), "themes": []}, {})
    _limit_per_ip()
    data = _form_data()
    if request.form.get("website"):
        return redirect(url_for("newsletter_submitted"), code=303)
    loaded, errors = _validate_form(data)
    if errors:
        return _render_form("newsletter/submit.html", data, errors, 422)
    _limit_per_address(loaded["email"])
    base_url, secret_key = _settings()
    session = db.session()
    articles.submit_article(session, articles.ArticleFields.from_dict(loaded), base_url=base_url,
                            secret_key=secret_key)
    session.commit()
    return redirect(url_for("newsletter_submitted"), code=303)


def submitted_page() -> str:
    return render_template("newsletter/submitted.html")


def _article_by_token(token: str, *, lock: bool = False) -> Any:
    try:
        return articles.article_from_token(db.session(), _settings()[1], token, lock=lock)
    except TokenExpired as error:
        raise Gone(_("This link has expired.")) from error
    except (TokenInvalid, NotFound) as error:
        raise NotFound(_("This link is not valid.")) from error


def article_status_page(token: str) -> tuple[str, int] | WerkzeugResponse:
    article = _article_by_token(token, lock=request.method == "POST")
    if request.method == "POST":
        action = request.form.get("action")
        session = db.session()
        if action == "withdraw":
            articles.withdraw(session, article)
            session.commit()
            return redirect(url_for("newsletter_article_status", token=token, done="withdrawn"), code=303)
        if action == "resubmit":
            data = {**_form_data(), "email": article.author_email}
            loaded, errors = _validate_form(data)
            if errors:
                return _render_status(article, token, data, errors, 422)
            base_url, secret_key = _settings()
            articles.resubmit(session, article, articles.ArticleFields.from_dict(loaded), base_url=base_url,
                              secret_key=secret_key)
            session.commit()
            return redirect(url_for("newsletter_article_status", token=token, done="resubmitted"), code=303)
        raise NotFound(_("Unknown action."))
    values = {"title": article.title, "summary": article.summary, "body": article.body_markdown,
              "author_name": article.author_name, "organisation": article.organisation, "themes": article.themes,
              "language": article.language, "image_url": article.image_url, "image_alt": article.image_alt}
    return _render_status(article, token, values, {})


def _render_status(article: Any, token: str, values: dict[str, Any], errors: dict[str, Any],
                   status: int = 200) -> tuple[str, int]:
    return _render_form("newsletter/article_status.html", values, errors, status, article=article, token=token,
                        can_resubmit=articles.allowed(article.status, ArticleStatus.RESUBMITTED, articles.AUTHOR),
                        can_withdraw=articles.allowed(article.status, ArticleStatus.WITHDRAWN, articles.AUTHOR),
                        done=request.args.get("done"), status_names=status_names())


def status_names() -> dict[str, str]:
    return {"submitted": _("Waiting for review"), "resubmitted": _("Sent again, waiting for review"),
            "changes-requested": _("Changes requested"), "accepted": _("Accepted"), "rejected": _("Not published"),
            "published": _("Published"), "withdrawn": _("Withdrawn")}


def archive_page() -> str:
    return render_template("newsletter/archive.html", issues=archive.listing(db.session()))


def archive_issue_page(issue_id: int) -> str:
    view = archive.web_version(db.session(), issue_id, request.args.get("lang") or current_language())
    return render_template("newsletter/archive_issue.html", view=view)


def feed() -> Response:
    body = archive.atom_feed(db.session(), str(current_app.config["BASE_URL"]),
                             str(current_app.config["NETWORK_NAME"]))
    return Response(body, mimetype="application/atom+xml")


# --- API: articles -------------------------------------------------------------------------------

@api_blp.route("/articles")
class ArticlesView(MethodView):
    @rate_limited
    @api_blp.arguments(ArticleInSchema)
    @api_blp.response(202, AcceptedSchema)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Submit an article (public). The author gets a receipt with a link to its status page."""
        if data.pop("website", ""):
            return {"status": "submitted"}
        _limit_per_address(data["email"])
        base_url, secret_key = _settings()
        session = db.session()
        articles.submit_article(session, articles.ArticleFields.from_dict(data), base_url=base_url,
                                secret_key=secret_key)
        session.commit()
        return {"status": "submitted"}

    @require_role("editor")
    @api_blp.arguments(ArticleQuerySchema, location="query")
    @api_blp.response(200, ArticleOutSchema(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Articles, oldest first (role editor)."""
        status = ArticleStatus(query["status"]) if "status" in query else None
        return articles.list_articles(db.session(), status)


@api_blp.route("/articles/<int:article_id>")
class ArticleView(MethodView):
    @require_role("editor")
    @api_blp.response(200, ArticleOutSchema)
    def get(self, article_id: int) -> Any:
        return articles.get_article(db.session(), article_id)


@api_blp.route("/articles/<int:article_id>/decision")
class DecisionView(MethodView):
    @require_role("editor")
    @api_blp.arguments(DecisionInSchema)
    @api_blp.response(200, ArticleOutSchema)
    def post(self, data: dict[str, Any], article_id: int) -> Any:
        """accepted | rejected | changes-requested; the optional comment is emailed to the author. 409: not allowed."""
        base_url, secret_key = _settings()
        session = db.session()
        article = articles.decide(session, article_id, ArticleStatus(data["decision"]), role=str(current_role()),
                                  comment=data.get("comment"), base_url=base_url, secret_key=secret_key)
        session.commit()
        return article


# --- API: issues ---------------------------------------------------------------------------------

@api_blp.route("/issues")
class IssuesView(MethodView):
    @require_role("editor")
    @api_blp.arguments(IssueInSchema)
    @api_blp.response(201, IssueOutSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Compose a draft issue from accepted articles, in one or more languages."""
        session = db.session()
        issue = issues.compose(session, data)
        session.commit()
        return issue

    @require_role("editor")
    @api_blp.arguments(IssueQuerySchema, location="query")
    @api_blp.response(200, IssueSummarySchema(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        status = IssueStatus(query["status"]) if "status" in query else None
        return issues.list_issues(db.session(), status)


@api_blp.route("/issues/<int:issue_id>")
class IssueView(MethodView):
    @require_role("editor")
    @api_blp.response(200, IssueOutSchema)
    def get(self, issue_id: int) -> Any:
        """The issue with its sending progress {total, sent, failed}."""
        return issues.get_issue(db.session(), issue_id)

    @require_role("editor")
    @api_blp.arguments(IssuePatchSchema)
    @api_blp.response(200, IssueOutSchema)
    def patch(self, data: dict[str, Any], issue_id: int) -> Any:
        """Edit a draft or scheduled issue (409 once it is sending or sent)."""
        session = db.session()
        issue = issues.update(session, issue_id, data)
        session.commit()
        return issue


@api_blp.route("/issues/<int:issue_id>/preview")
class PreviewView(MethodView):
    @require_role("editor")
    @api_blp.arguments(PreviewQuerySchema, location="query")
    @api_blp.response(200, content_type="text/html")
    def get(self, query: dict[str, Any], issue_id: int) -> Response:
        """The HTML a subscriber gets (their personal links shown as examples)."""
        issue = issues.get_issue(db.session(), issue_id)
        html = preview.issue_html(issue, query.get("language") or issue.language)
        return Response(html, mimetype="text/html")


@api_blp.route("/issues/<int:issue_id>/test-send")
class TestSendView(MethodView):
    @require_role("editor")
    @api_blp.arguments(TestSendSchema)
    @api_blp.response(202, TestSendOutSchema)
    def post(self, data: dict[str, Any], issue_id: int) -> dict[str, int]:
        session = db.session()
        queued = sending.test_send(session, issue_id, data["emails"], data.get("language"))
        session.commit()
        return {"queued": queued}


@api_blp.route("/issues/<int:issue_id>/send")
class SendView(MethodView):
    @require_role("editor")
    @api_blp.arguments(SendSchema)
    @api_blp.response(202, IssueOutSchema)
    def post(self, data: dict[str, Any], issue_id: int) -> Any:
        """Send now, or at `at` (ISO-8601 with zone). A scheduled issue can be moved or sent now."""
        session = db.session()
        issue = sending.send(session, issue_id, data.get("at"))
        session.commit()
        return issue


def _state_change(action: str) -> Any:
    change = {"pause": sending.pause, "resume": sending.resume, "cancel": sending.cancel}[action]

    @require_role("editor")
    @api_blp.response(200, IssueOutSchema)
    def post(self: MethodView, issue_id: int) -> Any:
        session = db.session()
        issue = change(session, issue_id)
        session.commit()
        return issue

    post.__doc__ = f"{action.capitalize()} sending (409 when the issue is not in a state that allows it)."
    return type(f"Issue{action.capitalize()}View", (MethodView,), {"post": post})


for _action in ("pause", "resume", "cancel"):
    api_blp.route(f"/issues/<int:issue_id>/{_action}")(_state_change(_action))
