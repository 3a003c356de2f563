"""Public pages of the subscribers part: subscribe (/newsletter/), confirm, unsubscribe (RFC 8058 one-click),
and the preference centre (topics, language, unsubscribing). Export and erasure need a fresh "my data" link
(`my_data.py`): the preference link in every list mail lives two years and may be forwarded."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from services.subscriptions.announcements.models import CHOICES as ANNOUNCEMENT_CHOICES
from services.subscriptions.announcements.operations import choices as announcement_choices
from services.subscriptions.models import db
from services.subscriptions.subscribers.models import (
    SUBSCRIBER_LANGUAGES,
    TOPICS,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
)
from services.subscriptions.subscribers.operations import consent, links
from services.subscriptions.subscribers.operations.consent import ConfirmOutcome, SubscriptionRequest
from services.subscriptions.subscribers.schemas import SubscriptionIn
from shared.plain_language import page_template
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language, keep_private

pages = Blueprint("subscriber_pages", __name__)


def register(app: Flask) -> None:
    app.register_blueprint(pages)


def session() -> Session:
    return db.session()


@pages.after_request
def _personal_pages_stay_private(response: Response) -> Response:
    """Pages behind personal links show an address: no caches, no search engines."""
    return keep_private(response) if request.view_args and "token" in request.view_args else response


# --- subscribe -----------------------------------------------------------------------------------

def _field_labels() -> dict[str, str]:
    return {"email": _("Email address"), "name": _("Name"), "language": _("Language of the emails"),
            "topics": _("What would you like to receive?"), "announcements": _("Announcements of events")}


def _page_errors(messages: dict[str, Any]) -> dict[str, list[str]]:
    """marshmallow's English messages become short, translated ones next to each field."""
    texts = {"email": _("Enter an email address, for example name@example.fi."),
             "name": _("The name can be at most 200 characters long."),
             "language": _("Choose a language."),
             "topics": _("Choose at least one topic.")}
    return {name: [texts.get(name, _("Check this field."))] for name in messages if name in texts} or \
        {"email": [texts["email"]]}


@pages.route("/", methods=["GET", "POST"])
def subscribe_page() -> Any:
    values: dict[str, Any] = {"email": "", "name": "", "language": current_language(), "topics": ["newsletter"]}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {"email": request.form.get("email", ""), "name": request.form.get("name") or None,
                "language": request.form.get("language", ""), "topics": request.form.getlist("topics"),
                "website": request.form.get("website", "")}
        values.update(email=form["email"], name=form["name"] or "", language=form["language"], topics=form["topics"])
        consent.limit_per_ip(request.remote_addr)
        try:
            data = SubscriptionIn().load(form)
        except ValidationError as error:
            errors = _page_errors(error.messages if isinstance(error.messages, dict) else {})
        else:
            consent.request_subscription(session(), SubscriptionRequest.from_input(data), ConsentSource.FORM,
                                         honeypot=data.get("website"))
            session().commit()
            return redirect(url_for("subscriber_pages.thanks", lang=data["language"]), code=303)
    template = page_template("subscribers/subscribe.html", "subscribe")
    return render_template(template, values=values, errors=errors, labels=_field_labels(),
                           topics=_topic_options(), language_options=_language_options()), 422 if errors else 200


@pages.route("/thanks")
def thanks() -> str:
    return render_template("subscribers/thanks.html")


def _topic_options() -> list[tuple[str, str]]:
    return [("newsletter", _("The newsletter (2–3 times a year)")),  # noqa: RUF001 - an en dash for a range
            ("events", _("Announcements of events")),
            ("trainings", _("Announcements of trainings"))]


def _language_options() -> list[tuple[str, str]]:
    return [("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")]


# --- links from emails ----------------------------------------------------------------------------

def _link_problem(error: Exception, purpose: str) -> tuple[str, int]:
    expired = isinstance(error, TokenExpired)
    return render_template("subscribers/link_problem.html", expired=expired, purpose=purpose), 410 if expired else 404


def _subscriber_or_problem(purpose: str, token: str, *, lock: bool = False) -> Subscriber | tuple[str, int]:
    try:
        return links.subscriber_from_token(session(), purpose, token, lock=lock)
    except (TokenExpired, TokenInvalid) as error:
        return _link_problem(error, purpose)


@pages.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_page(token: str) -> Any:
    """GET only shows a button, so link scanners cannot confirm; POST confirms."""
    found = _subscriber_or_problem(links.CONFIRM_PURPOSE, token, lock=request.method == "POST")
    if not isinstance(found, Subscriber):
        return found
    if request.method != "POST":  # GET, and HEAD or OPTIONS from a link scanner: only look
        if found.status != SubscriberStatus.PENDING:
            return _confirm_result(found, ConfirmOutcome.ALREADY_CONFIRMED
                                   if found.status == SubscriberStatus.CONFIRMED else ConfirmOutcome.NOT_PENDING)
        return render_template("subscribers/confirm.html", token=token, subscriber=found)
    outcome = consent.confirm(session(), found)
    session().commit()
    return _confirm_result(found, outcome)


def _confirm_result(subscriber: Subscriber, outcome: ConfirmOutcome) -> Any:
    if outcome == ConfirmOutcome.NOT_PENDING:
        return render_template("subscribers/link_problem.html", expired=False, used=True,
                               purpose=links.CONFIRM_PURPOSE), 410
    return render_template("subscribers/confirmed.html", already=outcome == ConfirmOutcome.ALREADY_CONFIRMED,
                           preferences_url=links.preferences_url(subscriber))


@pages.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe_page(token: str) -> Any:
    """RFC 8058: POST (body `List-Unsubscribe=One-Click`) unsubscribes with 200, no redirect, no cookie."""
    found = _subscriber_or_problem(links.UNSUBSCRIBE_PURPOSE, token, lock=request.method == "POST")
    if not isinstance(found, Subscriber):
        return found
    if request.method != "POST":  # GET, and HEAD or OPTIONS from a link scanner: only look
        return render_template("subscribers/unsubscribe.html", token=token)
    consent.unsubscribe(session(), found)
    session().commit()
    return render_template("subscribers/unsubscribed.html", preferences_url=links.preferences_url(found))


# --- preference centre ---------------------------------------------------------------------------

@pages.route("/preferences/<token>", methods=["GET", "POST"])
def preferences_page(token: str) -> Any:
    found = _subscriber_or_problem(links.PREFERENCES_PURPOSE, token, lock=request.method == "POST")
    if not isinstance(found, Subscriber):
        return found
    message = None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        message, errors = _apply_preferences(found)
    return _preferences(found, token, message, errors)


def _apply_preferences(subscriber: Subscriber) -> tuple[str | None, dict[str, list[str]]]:
    action = request.form.get("action", "save")
    if action == "unsubscribe":
        consent.unsubscribe(session(), subscriber)
        message = _("You have unsubscribed. You will not get any more emails from us.")
    elif action == "resubscribe":
        consent.resubscribe(session(), subscriber)
        message = _("Welcome back. Your subscription is on again.")
    else:
        language = request.form.get("language", "")
        topics = [t for t in request.form.getlist("topics") if t in TOPICS]
        errors: dict[str, list[str]] = {}
        if language not in SUBSCRIBER_LANGUAGES:
            errors["language"] = [_("Choose a language.")]
        if not topics:
            errors["topics"] = [_("Choose at least one topic. To get nothing, unsubscribe below.")]
        announcements = request.form.get("announcements") or announcement_choices.choice_of(session(), subscriber.id)
        if announcements not in ANNOUNCEMENT_CHOICES:
            errors["announcements"] = [_("Choose how you want announcements of events.")]
        if errors:
            return None, errors
        changed = consent.change_preferences(session(), subscriber, language=language, topics=topics)
        changed = announcement_choices.set_choice(session(), subscriber, announcements) or changed
        message = _("Your choices are saved.") if changed else _("Nothing changed.")
    session().commit()
    return message, {}


def _preferences(subscriber: Subscriber, token: str, message: str | None, errors: dict[str, list[str]]) -> Any:
    return render_template(page_template("subscribers/preferences.html", "preferences"), subscriber=subscriber,
                           token=token, message=message, errors=errors, topics=_topic_options(),
                           language_options=_language_options(), labels=_field_labels(),
                           announcement_options=_announcement_options(),
                           announcements=request.form.get("announcements") if errors else
                           announcement_choices.choice_of(session(), subscriber.id),
                           active=subscriber.status == SubscriberStatus.CONFIRMED), \
        422 if errors else 200


def _announcement_options() -> list[tuple[str, str]]:
    return [("each", _("A message about each new event")), ("weekly", _("A summary once a week")),
            ("none", _("No announcements"))]
