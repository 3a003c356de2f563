"""Sending an issue from the workspace: the send form's check, the confirmation step, pause, resume, cancel
and the progress the page polls.

GET /issues/<id>/send shows who gets the issue and when; only a POST with `confirm=yes` from that page
sends. A time in the past, or no time, is refused next to the field on the issue's page. Cancelling, too,
first says what it stops, and takes effect on a second POST with `confirm=yes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Issue, IssueStatus
from services.subscriptions.newsletter.operations import issues as issue_cases
from services.subscriptions.newsletter.operations import progress, sending
from services.subscriptions.newsletter.pages.workspace import issue_status_labels, progress_summary, render_issue
from shared.db import utcnow
from shared.errors import DomainError
from shared.formatting import HELSINKI


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/issues/<int:issue_id>/send", "issue_send", send, methods=["GET", "POST"])
    blueprint.add_url_rule("/issues/<int:issue_id>/progress", "issue_progress", progress_page)
    for action in ("pause", "resume", "cancel"):
        blueprint.add_url_rule(f"/issues/<int:issue_id>/{action}", f"issue_{action}", _state_change(action),
                               methods=["POST"])


def language_names() -> dict[str, str]:
    return {"fi": _("In Finnish"), "sv": _("In Swedish"), "en": _("In English")}


def _send_form() -> dict[str, str]:
    values = request.form if request.method == "POST" else request.args
    return {"when": "later" if values.get("when") == "later" else "now", "send_at": values.get("send_at", "").strip()}


def _send_time(form: dict[str, str]) -> tuple[dt.datetime | None, str | None]:
    """(the time to send at, None for now) or (None, the message to show next to the field)."""
    if form["when"] != "later":
        return None, None
    try:
        local = dt.datetime.fromisoformat(form["send_at"])
    except ValueError:
        return None, _("Give the sending time as a date and a time.")
    at = local.replace(tzinfo=HELSINKI) if local.tzinfo is None else local
    if at <= utcnow():
        return None, _("This time is already past. Give a time in the future, or choose Now.")
    return at, None


def send(issue_id: int) -> Response | tuple[str, int]:
    """GET (or a POST without the confirmation): the confirmation step. POST with confirm=yes: send."""
    session = db.session()
    issue = issue_cases.get_issue(session, issue_id)
    form = _send_form()
    at, problem = _send_time(form)
    if problem:
        return render_issue(issue, errors={"send_at": [problem]}, send_form=form)
    if issue.status not in issue_cases.EDITABLE:
        flash(_("This issue can no longer be sent. Its status: %(status)s.",
                status=issue_status_labels()[issue.status.value]), "error")
        return redirect(url_for(".issue", issue_id=issue_id))
    if request.method == "POST" and request.form.get("confirm") == "yes":
        return _send_confirmed(issue_id, at)
    return _confirmation(issue, form, at)


def _confirmation(issue: Issue, form: dict[str, str], at: dt.datetime | None) -> tuple[str, int]:
    groups = sending.audience(db.session(), issue)
    return render_template("admin/newsletter/issue_send_confirm.html", issue=issue, groups=groups,
                           total=sum(group.count for group in groups), at=at, send_form=form,
                           language_names=language_names()), 200


def _send_confirmed(issue_id: int, at: dt.datetime | None) -> Response:
    session = db.session()
    try:
        issue = sending.send(session, issue_id, at)
    except DomainError:
        session.rollback()
        flash(_("The issue was not sent. Every language version needs an introduction or articles, "
                "and every article must still be accepted."), "error")
        return redirect(url_for(".issue", issue_id=issue_id))
    session.commit()
    if issue.status == IssueStatus.SCHEDULED:
        flash(_("The issue is scheduled."), "success")
    else:
        flash(_("Sending started. You can follow it here."), "success")
    return redirect(url_for(".issue", issue_id=issue_id))


def _state_change(action: str) -> Callable[[int], Response | tuple[str, int]]:
    change = {"pause": sending.pause, "resume": sending.resume, "cancel": sending.cancel}[action]

    def view(issue_id: int) -> Response | tuple[str, int]:
        session = db.session()
        if action == "cancel" and request.form.get("confirm") != "yes":
            return _cancel_confirmation(issue_cases.get_issue(session, issue_id))
        try:
            change(session, issue_id)
        except DomainError:
            session.rollback()
            flash(_refusal(issue_cases.get_issue(session, issue_id)), "error")
        else:
            session.commit()
            flash(_state_changed(action), "success")
        return redirect(url_for(".issue", issue_id=issue_id))

    view.__name__ = f"issue_{action}"
    return view


def _state_changed(action: str) -> str:
    """In the reader's language: translated per request, not once when the routes are made."""
    messages: dict[str, str] = {"pause": _("Sending is paused."), "resume": _("Sending continues."),
                                "cancel": _("Sending is cancelled.")}
    return messages[action]


def _cancel_confirmation(issue: Issue) -> tuple[str, int]:
    """Cancelling cannot be undone: say what it stops before it does."""
    counts = progress.progress(issue)
    handled = sum(counts[key] or 0 for key in ("sent", "failed", "suppressed"))
    return render_template("admin/newsletter/issue_cancel_confirm.html", issue=issue,
                           not_reached=max(issue.total - handled, 0) if issue.started_at else None), 200


def _refusal(issue: Issue) -> str:
    if issue.handed_over_at is not None and issue.status == IssueStatus.SENDING:
        return str(_("Every message is already with the mail service: sending can no longer be paused or cancelled."))
    return str(_("This cannot be done now. The issue's status: %(status)s.",
                 status=issue_status_labels()[issue.status.value]))


def progress_page(issue_id: int) -> Response:
    issue = issue_cases.get_issue(db.session(), issue_id)
    counts = progress.progress(issue)
    return jsonify({**counts, "status": issue.status.value, "status_label": issue_status_labels()[issue.status.value],
                    "summary": progress_summary(issue, counts)})
