"""Public pages of the newsletter part: submit an article, follow its status, read the archive."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Article, ArticleStatus
from services.subscriptions.newsletter.operations import archive, articles
from services.subscriptions.newsletter.schemas import ArticleInSchema
from shared.errors import Gone, NotFound
from shared.labels import THEMES, theme_label
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language

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
FORM_FIELDS = ("title", "summary", "body", "author_name", "email", "organisation", "language", "image_url",
               "image_alt")


def add_routes(app: Flask) -> None:
    app.add_url_rule("/submit", "newsletter_submit", submit_page, methods=["GET", "POST"])
    app.add_url_rule("/submit/thanks", "newsletter_submitted", submitted_page)
    app.add_url_rule("/articles/<token>", "newsletter_article_status", article_status_page, methods=["GET", "POST"])
    app.add_url_rule("/archive/", "newsletter_archive", archive_page)
    app.add_url_rule("/archive/<int:issue_id>", "newsletter_archive_issue", archive_issue_page)
    app.add_url_rule("/archive/feed.atom", "newsletter_feed", feed)


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


def _secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


# --- the article form ----------------------------------------------------------------------------

def _theme_options(language: str) -> list[tuple[str, str]]:
    return [(key, theme_label(key, language)) for key in THEMES]


def _language_choices() -> list[tuple[str, str]]:
    return [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]


def _form_data() -> dict[str, Any]:
    data: dict[str, Any] = {name: request.form.get(name, "") for name in FORM_FIELDS}
    data["themes"] = request.form.getlist("themes")
    for optional in ("image_url", "image_alt"):
        data[optional] = data[optional].strip() or None
    return data


def _validate_form(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the loaded fields, {}) or ({}, a message per wrong field in the reader's language)."""
    try:
        return ArticleInSchema().load(data), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        return {}, {name: [str(FIELD_ERRORS.get(name, _("Check this field.")))] for name in messages}


def _render_form(template: str, values: dict[str, Any], errors: dict[str, Any], status: int = 200,
                 **extra: Any) -> tuple[str, int]:
    return render_template(template, values=values, errors=errors, labels=FIELD_LABELS,
                           theme_options=_theme_options(current_language()),
                           language_options=_language_choices(), **extra), status


# --- submission ----------------------------------------------------------------------------------

def submit_page() -> tuple[str, int] | WerkzeugResponse:
    if request.method != "POST":
        return _render_form("newsletter/submit.html", {"language": current_language(), "themes": []}, {})
    articles.limit_per_ip(request.remote_addr)
    data = _form_data()
    if request.form.get("website"):
        return redirect(url_for("newsletter_submitted"), code=303)
    loaded, errors = _validate_form(data)
    if errors:
        return _render_form("newsletter/submit.html", data, errors, 422)
    articles.limit_per_address(_secret_key(), loaded["email"])
    session = db.session()
    articles.submit_article(session, articles.ArticleFields.from_dict(loaded), base_url=_base_url(),
                            secret_key=_secret_key())
    session.commit()
    return redirect(url_for("newsletter_submitted"), code=303)


def submitted_page() -> str:
    return render_template("newsletter/submitted.html")


# --- the author's status page --------------------------------------------------------------------

def _article_by_token(token: str, *, lock: bool = False) -> Article:
    try:
        return articles.article_from_token(db.session(), _secret_key(), token, lock=lock)
    except TokenExpired as error:
        raise Gone(_("This link has expired.")) from error
    except (TokenInvalid, NotFound) as error:
        raise NotFound(_("This link is not valid.")) from error


def article_status_page(token: str) -> tuple[str, int] | WerkzeugResponse:
    article = _article_by_token(token, lock=request.method == "POST")
    if request.method == "POST":
        return _author_action(article, token, request.form.get("action"))
    values = {"title": article.title, "summary": article.summary, "body": article.body_markdown,
              "author_name": article.author_name, "organisation": article.organisation, "themes": article.themes,
              "language": article.language, "image_url": article.image_url, "image_alt": article.image_alt}
    return _render_status(article, token, values, {})


def _author_action(article: Article, token: str, action: str | None) -> tuple[str, int] | WerkzeugResponse:
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
        articles.resubmit(session, article, articles.ArticleFields.from_dict(loaded), base_url=_base_url(),
                          secret_key=_secret_key())
        session.commit()
        return redirect(url_for("newsletter_article_status", token=token, done="resubmitted"), code=303)
    raise NotFound(_("Unknown action."))


def _render_status(article: Article, token: str, values: dict[str, Any], errors: dict[str, Any],
                   status: int = 200) -> tuple[str, int]:
    return _render_form("newsletter/article_status.html", values, errors, status, article=article, token=token,
                        can_resubmit=articles.allowed(article.status, ArticleStatus.RESUBMITTED, articles.AUTHOR),
                        can_withdraw=articles.allowed(article.status, ArticleStatus.WITHDRAWN, articles.AUTHOR),
                        done=request.args.get("done"), status_names=status_names())


def status_names() -> dict[str, str]:
    return {"submitted": _("Waiting for review"), "resubmitted": _("Sent again, waiting for review"),
            "changes-requested": _("Changes requested"), "accepted": _("Accepted"), "rejected": _("Not published"),
            "published": _("Published"), "withdrawn": _("Withdrawn")}


# --- the archive ---------------------------------------------------------------------------------

def archive_page() -> str:
    return render_template("newsletter/archive.html", issues=archive.listing(db.session()))


def archive_issue_page(issue_id: int) -> str:
    view = archive.web_version(db.session(), issue_id, request.args.get("lang") or current_language(),
                               primary_language=str(current_app.config["PRIMARY_LANGUAGE"]), base_url=_base_url())
    return render_template("newsletter/archive_issue.html", view=view)


def feed() -> Response:
    """The Atom feed with ETag and Last-Modified: a feed reader polling an unchanged feed gets a 304."""
    network_name = str(current_app.config["NETWORK_NAME"])
    stamp = archive.feed_stamp(db.session(), _base_url(), network_name)
    if request.if_none_match.contains_weak(stamp.etag) or (  # RFC 9110: weak comparison (gzip proxies weaken ETags)
            not request.if_none_match and request.if_modified_since
            and stamp.last_modified.replace(microsecond=0) <= request.if_modified_since):
        response = Response(status=304)
    else:
        response = Response(archive.atom_feed(db.session(), _base_url(), network_name),
                            mimetype="application/atom+xml")
    response.set_etag(stamp.etag)
    response.last_modified = stamp.last_modified
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
