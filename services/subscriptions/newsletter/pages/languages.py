"""An issue's email as the subscribers of one language get it: the composer's "Preview in Swedish" buttons."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from services.subscriptions.models import db
from services.subscriptions.newsletter.operations import issues as issue_cases
from services.subscriptions.newsletter.operations import preview
from shared.settings import LANGUAGES


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/issues/<int:issue_id>/preview/<language>", "issue_language_preview", language_preview)


def language_preview(issue_id: int, language: str) -> Response:
    """The email the subscribers who chose `language` get (their own version, or the one they fall back to)."""
    if language not in LANGUAGES:
        abort(404)
    issue = issue_cases.get_issue(db.session(), issue_id)
    base_url = str(current_app.config["BASE_URL"]).rstrip("/")
    html = preview.issue_html(issue, language, primary_language=str(current_app.config["PRIMARY_LANGUAGE"]),
                              base_url=base_url)
    return Response(html, mimetype="text/html")
