"""Pages and API of the subscribers part.

Pages: subscribe (/newsletter/), confirm, unsubscribe (RFC 8058 one-click), preference centre with
export and erase. API: public subscription, admin list / CSV import / CSV export.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.subscriptions.models import db
from services.subscriptions.subscribers import links, operations
from services.subscriptions.subscribers.importing import import_csv
from services.subscriptions.subscribers.models import (
    SUBSCRIBER_LANGUAGES,
    TOPICS,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
    SubscriberTopic,
)
from services.subscriptions.subscribers.operations import ConfirmOutcome, SubscriptionRequest
from services.subscriptions.subscribers.schemas import (
    SubscriberImportReportOut,
    SubscriberPageOut,
    SubscriberQuery,
    SubscriptionAcceptedOut,
    SubscriptionIn,
)
from shared.auth import require_role
from shared.db import utcnow
from shared.errors import InvalidInput, ProblemApi
from shared.internal import ServiceCallFailed, call
from shared.ratelimit import check_rate
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language

pages = Blueprint("subscriber_pages", __name__)
api_blp = ApiBlueprint("subscribers", __name__, url_prefix="/api/v1",
                       description="Subscriptions (public) and subscribers (coordinator)")

ACCEPTED = {"status": "accepted",
            "detail": "Thank you. If the address can receive mail, a message is on its way to it."}
EXPORT_SERVICES = ("events", "mailer")


def register(app: Flask, api: ProblemApi) -> None:
    """Add this part's blueprints to the subscriptions app."""
    app.config.setdefault("SUBSCRIBE_LIMIT_PER_IP", 30)
    app.config.setdefault("SUBSCRIBE_LIMIT_PER_ADDRESS", 10)
    app.config.setdefault("SUBSCRIBE_LIMIT_WINDOW", 3600)
    app.register_blueprint(pages)
    api.register_blueprint(api_blp)


def session() -> Session:
    return db.session()


@pages.after_request
def _personal_pages_stay_private(response: Response) -> Response:
    """Pages behind personal links show an address: no caches, no search engines."""
    if request.view_args and "token" in request.view_args:
        response.headers["Cache-Control"] = "no-store, private"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _limit_per_ip() -> None:
    config = current_app.config
    check_rate(f"subscribe:ip:{request.remote_addr}", config["SUBSCRIBE_LIMIT_PER_IP"],
               config["SUBSCRIBE_LIMIT_WINDOW"])


def _limit_per_address(email: str) -> None:
    config = current_app.config
    check_rate(f"subscribe:address:{operations.hash_of(email)}", config["SUBSCRIBE_LIMIT_PER_ADDRESS"],
               config["SUBSCRIBE_LIMIT_WINDOW"])


def _accept(data: dict[str, Any], source: ConsentSource) -> None:
    """The whole subscription step after validation; the caller answers the same whatever happens."""
    _limit_per_address(data["email"])
    if data.get("website"):
        return
    request_ = SubscriptionRequest(email=data["email"], language=data["language"], topics=tuple(data["topics"]),
                                   name=data.get("name"), organisation=data.get("organisation"))
    operations.subscribe(session(), request_, source)
    session().commit()


# --- API: public ----------------------------------------------------------------------------------

@api_blp.before_request
def _limit_public_requests() -> None:
    """Before the body is read, so a flood of malformed bodies is limited too."""
    if request.method == "POST" and request.endpoint == f"{api_blp.name}.Subscriptions":
        _limit_per_ip()


@api_blp.route("/subscriptions")
class Subscriptions(MethodView):
    @api_blp.arguments(SubscriptionIn)
    @api_blp.response(202, SubscriptionAcceptedOut)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Subscribe (double opt-in). The same answer whether the address is new, pending or subscribed."""
        _accept(data, ConsentSource.API)
        return ACCEPTED


# --- API: coordinator -----------------------------------------------------------------------------

def _filtered(query: Any, args: dict[str, Any]) -> Any:
    if args.get("status"):
        query = query.where(Subscriber.status == SubscriberStatus(args["status"]))
    if args.get("language"):
        query = query.where(Subscriber.language == args["language"])
    if args.get("topic"):
        query = query.where(Subscriber.id.in_(select(SubscriberTopic.subscriber_id)
                                              .where(SubscriberTopic.topic == args["topic"])))
    if args.get("q"):
        needle = "%" + args["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(Subscriber.email).like(needle, escape="\\"),
                                func.lower(Subscriber.name).like(needle, escape="\\"),
                                func.lower(Subscriber.organisation).like(needle, escape="\\")))
    return query


def _counts() -> dict[str, dict[str, int]]:
    db_session = session()
    status = {s.value: 0 for s in SubscriberStatus}
    for status_value, count in db_session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status)):
        status[SubscriberStatus(status_value).value] = count
    language = dict.fromkeys(SUBSCRIBER_LANGUAGES, 0)
    for language_value, count in db_session.execute(select(Subscriber.language, func.count())
                                                    .group_by(Subscriber.language)):
        language[language_value] = count
    topic = dict.fromkeys(TOPICS, 0)
    topic_query = (select(SubscriberTopic.topic, func.count()).join(Subscriber)
                   .where(Subscriber.status == SubscriberStatus.CONFIRMED).group_by(SubscriberTopic.topic))
    for topic_value, count in db_session.execute(topic_query):
        topic[topic_value] = count
    return {"status": status, "language": language, "topic": topic}


@api_blp.route("/subscribers")
class Subscribers(MethodView):
    @require_role("coordinator")
    @api_blp.arguments(SubscriberQuery, location="query")
    @api_blp.response(200, SubscriberPageOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List, search and filter subscribers (keyset pages on id), with counts (topics: confirmed only)."""
        db_session = session()
        total = db_session.scalar(_filtered(select(func.count(Subscriber.id)), args)) or 0
        items = list(db_session.scalars(_filtered(select(Subscriber), args)
                                        .where(Subscriber.id > args["after"])
                                        .order_by(Subscriber.id).limit(args["limit"] + 1)))
        more = len(items) > args["limit"]
        items = items[: args["limit"]]
        return {"items": items, "total": total, "next_after": items[-1].id if more else None, "counts": _counts()}


@api_blp.route("/subscribers/import")
class SubscriberImport(MethodView):
    @require_role("coordinator")
    @api_blp.response(200, SubscriberImportReportOut)
    def post(self) -> dict[str, Any]:
        """Import a CSV (body `text/csv`, or a multipart field `file`). Bad rows are reported by row number."""
        upload = request.files.get("file")
        raw = upload.read() if upload else request.get_data()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput("The file is not UTF-8 text.", errors={"file": ["Save the file as CSV UTF-8."]}) \
                from error
        report = import_csv(session(), text)
        session().commit()
        return report.as_dict()


@api_blp.route("/subscribers/export.csv")
class SubscriberExport(MethodView):
    @require_role("coordinator")
    @api_blp.arguments(SubscriberQuery, location="query")
    @api_blp.response(200, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Response:
        """CSV of the subscribers matching the filters (the same columns the import reads, plus status)."""
        rows = session().scalars(_filtered(select(Subscriber), args).order_by(Subscriber.id))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["email", "name", "organisation", "language", "topics", "consent_at", "status",
                         "created_at", "unsubscribed_at"])
        for subscriber in rows:
            writer.writerow([_cell(subscriber.email), _cell(subscriber.name), _cell(subscriber.organisation),
                             subscriber.language, " ".join(subscriber.topic_names),
                             _iso(subscriber.confirmed_at), subscriber.status.value, _iso(subscriber.created_at),
                             _iso(subscriber.unsubscribed_at)])
        response = Response(out.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        return response


def _cell(value: str | None) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; such text gets a leading apostrophe."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


# --- pages: subscribe -----------------------------------------------------------------------------

def _field_labels() -> dict[str, str]:
    return {"email": _("Email address"), "name": _("Name"), "language": _("Language of the emails"),
            "topics": _("What would you like to receive?")}


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
        _limit_per_ip()
        try:
            data = SubscriptionIn().load(form)
        except ValidationError as error:
            errors = _page_errors(error.messages if isinstance(error.messages, dict) else {})
        else:
            _accept(data, ConsentSource.FORM)
            return redirect(url_for("subscriber_pages.thanks", lang=data["language"]), code=303)
    status = 422 if errors else 200
    return render_template("subscribers/subscribe.html", values=values, errors=errors, labels=_field_labels(),
                           topics=_topic_options(), language_options=_language_options()), status


@pages.route("/thanks")
def thanks() -> str:
    return render_template("subscribers/thanks.html")


def _topic_options() -> list[tuple[str, str]]:
    return [("newsletter", _("The newsletter (2–3 times a year)")),  # noqa: RUF001 - an en dash for a range
            ("events", _("Announcements of events")),
            ("trainings", _("Announcements of trainings"))]


def _language_options() -> list[tuple[str, str]]:
    return [("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")]


# --- pages: links from emails ---------------------------------------------------------------------

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
    if request.method == "GET":
        if found.status != SubscriberStatus.PENDING:
            return _confirm_result(found, ConfirmOutcome.ALREADY_CONFIRMED
                                   if found.status == SubscriberStatus.CONFIRMED else ConfirmOutcome.NOT_PENDING)
        return render_template("subscribers/confirm.html", token=token, subscriber=found)
    outcome = operations.confirm(session(), found)
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
    if request.method == "GET":
        return render_template("subscribers/unsubscribe.html", token=token)
    operations.unsubscribe(session(), found)
    session().commit()
    return render_template("subscribers/unsubscribed.html", preferences_url=links.preferences_url(found))


# --- pages: preference centre ---------------------------------------------------------------------

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
        operations.unsubscribe(session(), subscriber)
        message = _("You have unsubscribed. You will not get any more emails from us.")
    elif action == "resubscribe":
        operations.resubscribe(session(), subscriber)
        message = _("Welcome back. Your subscription is on again.")
    else:
        language = request.form.get("language", "")
        topics = [t for t in request.form.getlist("topics") if t in TOPICS]
        errors: dict[str, list[str]] = {}
        if language not in SUBSCRIBER_LANGUAGES:
            errors["language"] = [_("Choose a language.")]
        if not topics:
            errors["topics"] = [_("Choose at least one topic. To get nothing, unsubscribe below.")]
        if errors:
            return None, errors
        changed = operations.change_preferences(session(), subscriber, language=language, topics=topics)
        message = _("Your choices are saved.") if changed else _("Nothing changed.")
    session().commit()
    return message, {}


def _preferences(subscriber: Subscriber, token: str, message: str | None, errors: dict[str, list[str]]) -> Any:
    return render_template("subscribers/preferences.html", subscriber=subscriber, token=token, message=message,
                           errors=errors, topics=_topic_options(), language_options=_language_options(),
                           labels={**_field_labels(), "confirm": _("Erase my data")},
                           active=subscriber.status == SubscriberStatus.CONFIRMED), \
        422 if errors else 200


@pages.route("/preferences/<token>/export")
def export_page(token: str) -> Any:
    """Everything held about the person, here and in the other services, as a JSON download."""
    found = _subscriber_or_problem(links.PREFERENCES_PURPOSE, token)
    if not isinstance(found, Subscriber):
        return found
    data: dict[str, Any] = {"generated_at": utcnow().isoformat(), "email": found.email,
                            "subscriptions": operations.own_data(found),
                            "articles": operations.author_data(session(), found.email)}
    email = found.email
    session().commit()  # no transaction stays open while the other services answer
    for service in EXPORT_SERVICES:
        data[service] = _export_from(service, email)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_from(service: str, email: str) -> Any:
    try:
        answer = call(service, "POST", "/api/v1/personal-data/export", json_body={"email": email})
    except ServiceCallFailed:
        return {"unavailable": f"The {service} service did not answer. Please try again later."}
    if answer.status != 200:
        return {"unavailable": f"The {service} service answered {answer.status}. Please try again later."}
    return answer.body


@pages.route("/preferences/<token>/erase", methods=["POST"])
def erase_page(token: str) -> Any:
    found = _subscriber_or_problem(links.PREFERENCES_PURPOSE, token, lock=True)
    if not isinstance(found, Subscriber):
        return found
    if request.form.get("confirm") != "yes":
        return _preferences(found, token, None, {"confirm": [_("Tick the box to confirm that you want to erase "
                                                               "your data.")]})
    operations.erase(session(), found)
    session().commit()
    return render_template("subscribers/erased.html")
