"""The organiser sends the feedback request from the workspace (/events/admin/events/<id>/feedback/request):
a choice on the feedback page (only the people marked arrived, the default, or everyone with a seat),
then a confirmation saying how many people get it, then the send. Nobody is asked twice; the automatic
request after the event follows the same default (operations.feedback.send_feedback_requests)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from services.events.models import db
from services.events.operations import events, feedback
from shared.db import utcnow
from shared.errors import DomainError
from shared.web import current_language


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/events/<int:event_id>/feedback/request", "feedback_request", feedback_request,
                           methods=["GET", "POST"])


def feedback_request(event_id: int) -> str | BaseResponse:
    session = db.session()
    event = events.get_event(session, event_id)
    source = request.form if request.method == "POST" else request.args
    audience = source.get("audience") or feedback.CHECKED_IN
    if audience not in feedback.AUDIENCES:
        audience = feedback.CHECKED_IN
    if request.method == "POST":
        try:
            sent = feedback.request_feedback(session, event_id, audience)
        except DomainError as error:
            session.rollback()
            flash(_(error.detail), "error")
        else:
            session.commit()
            flash(_("Feedback requests sent: %(count)s.", count=sent), "success")
        return redirect(url_for(".feedback", event_id=event_id))
    return render_template("events/workspace/feedback_request.html", event=event, audience=audience,
                           count=len(feedback.not_yet_asked(session, event, audience)),
                           asked=feedback.requests_sent(session, event_id),
                           started=event.starts_at <= utcnow(), has_questions=bool(event.feedback_questions),
                           language=current_language())
