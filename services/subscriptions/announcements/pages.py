"""Public page of the announcements part: the one-click link in every announcement (RFC 8058) that stops
announcements only. GET (and HEAD, OPTIONS: mail scanners open links) shows a button; only POST changes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template, request

from services.subscriptions.announcements.links import STOP_PURPOSE, subscriber_from_stop_token
from services.subscriptions.announcements.operations import choices
from services.subscriptions.models import db
from services.subscriptions.subscribers.operations.links import preferences_url
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import keep_private

pages = Blueprint("announcement_pages", __name__)


def register(app: Flask) -> None:
    app.register_blueprint(pages)


pages.after_request(keep_private)  # pages behind personal links


@pages.route("/announcements/stop/<token>", methods=["GET", "POST"])
def stop_page(token: str) -> Any:
    """POST (body `List-Unsubscribe=One-Click`, or the page's button) stops announcements: 200, no redirect."""
    session = db.session()
    try:
        subscriber = subscriber_from_stop_token(session, token, lock=request.method == "POST")
    except (TokenExpired, TokenInvalid) as error:
        expired = isinstance(error, TokenExpired)
        return render_template("subscribers/link_problem.html", expired=expired, purpose=STOP_PURPOSE), \
            410 if expired else 404
    if request.method != "POST":  # GET, and HEAD or OPTIONS from a link scanner: only look
        return render_template("announcements/stop.html", token=token)
    choices.stop(session, subscriber)
    session.commit()
    return render_template("announcements/stopped.html", preferences_url=preferences_url(subscriber))
