"""The newsletter's pages in the coordinator workspace (/newsletter/admin/, the service's workspace blueprint):
the article review queue, and issues composed from accepted articles with a live preview and test send.
Sending, its confirmation step and progress are in `pages.sending`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.subscriptions.models import db
from services.subscriptions.newsletter.emails import campaign
from services.subscriptions.newsletter.models import ArticleStatus, Issue
from services.subscriptions.newsletter.operations import articles as article_cases
from services.subscriptions.newsletter.operations import issues as issue_cases
from services.subscriptions.newsletter.operations import progress, sending
from services.subscriptions.newsletter.operations.content import theme_labels
from services.subscriptions.newsletter.operations.languages import ReaderVersion, reader_versions, version_articles
from services.subscriptions.newsletter.operations.progress import Progress
from shared.clients import ServiceCallFailed
from shared.clients.mailer import FEEDBACK_KINDS, CampaignFeedback, MailerClient
from shared.errors import DomainError
from shared.settings import LANGUAGES
from shared.web import current_language
from shared.web_auth import current_user

MAX_TEST_ADDRESSES = 5
UNKNOWN = "\N{EN DASH}"

log = logging.getLogger(__name__)


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/articles", "articles", articles_page)
    blueprint.add_url_rule("/articles/<int:article_id>", "article", article_page)
    blueprint.add_url_rule("/articles/<int:article_id>/decision", "article_decision", decide, methods=["POST"])
    blueprint.add_url_rule("/issues", "issues", issues_page)
    blueprint.add_url_rule("/issues/new", "issue_new", new_issue, methods=["GET", "POST"])
    blueprint.add_url_rule("/issues/preview", "issue_preview", live_preview, methods=["POST"])
    blueprint.add_url_rule("/issues/<int:issue_id>", "issue", issue_page, methods=["GET", "POST"])
    blueprint.add_url_rule("/issues/<int:issue_id>/test-send", "issue_test_send", test_send, methods=["POST"])


# --- article review ------------------------------------------------------------------------------

def article_status_labels() -> dict[str, str]:
    return {"submitted": _("Waiting for review"), "resubmitted": _("Changed, waiting for review"),
            "changes-requested": _("Changes asked from the author"), "accepted": _("Accepted"),
            "rejected": _("Declined"), "published": _("Published"), "withdrawn": _("Withdrawn by the author")}


def decision_labels() -> list[tuple[str, str]]:
    return [("accepted", _("Accept")), ("changes-requested", _("Ask the author for changes")),
            ("rejected", _("Decline"))]


def articles_page() -> str:
    found = article_cases.review_listing(db.session())
    return render_template("admin/newsletter/articles.html", articles=found, statuses=article_status_labels(),
                           queue=[a for a in found if a.status in article_cases.REVIEW_QUEUE],
                           others=[a for a in found if a.status not in article_cases.REVIEW_QUEUE])


def article_page(article_id: int, errors: dict[str, list[str]] | None = None, status: int = 200) -> tuple[str, int]:
    article = article_cases.get_article(db.session(), article_id)
    return render_template("admin/newsletter/article.html", article=article, statuses=article_status_labels(),
                           decisions=decision_labels(), can_decide=article.status in article_cases.REVIEW_QUEUE,
                           errors=errors or {},
                           themes=theme_labels(list(article.themes), current_language())), status


def decide(article_id: int) -> Response | tuple[str, int]:
    choice = request.form.get("decision", "")
    comment = request.form.get("comment", "").strip()
    if choice not in {value for value, _label in decision_labels()}:
        return article_page(article_id, {"decision": [_("Choose a decision.")]}, 422)
    if choice == "changes-requested" and not comment:
        return article_page(article_id, {"comment": [_("Tell the author what to change.")]}, 422)
    session = db.session()
    user = current_user()
    try:
        article_cases.decide(session, article_id, ArticleStatus(choice), role=user.role if user else "editor",
                             comment=comment or None, base_url=current_app.config["BASE_URL"],
                             secret_key=current_app.config["SECRET_KEY"])
    except DomainError:  # a decision the article's state no longer allows (another editor was first)
        session.rollback()
        flash(_("The decision was not saved: the article's state does not allow it. Reload the page and try again."),
              "error")
        return redirect(url_for(".article", article_id=article_id))
    session.commit()
    flash(_("Decision saved. The author gets an email."), "success")
    return redirect(url_for(".articles"))


# --- issues --------------------------------------------------------------------------------------

def issue_status_labels() -> dict[str, str]:
    return {"draft": _("Draft"), "scheduled": _("Scheduled"), "sending": _("Sending"), "paused": _("Paused"),
            "sent": _("Sent"), "cancelled": _("Cancelled")}


def issues_page() -> str:
    found = issue_cases.list_issues(db.session())
    return render_template("admin/newsletter/issues.html", issues=found, statuses=issue_status_labels())


def _form_data(issue: Issue | None) -> dict[str, Any]:
    """The composer's values: the posted form, else the issue, else empty.

    `translations` holds the other language versions' title and introduction; a version with a title
    is sent to the subscribers of that language (with the same articles)."""
    if request.method == "POST":
        language = request.form.get("language") or (issue.language if issue else "fi")
        return {"title": request.form.get("title", "").strip(),
                "introduction": request.form.get("introduction", ""),
                "language": language,
                "article_ids": _ids("article_ids"),
                "include_events": request.form.get("include_events") == "1",
                "translations": {other: {"title": request.form.get(f"title_{other}", "").strip(),
                                         "introduction": request.form.get(f"introduction_{other}", ""),
                                         "article_ids": _ids(f"article_ids_{other}")}
                                 for other in LANGUAGES if other != language}}
    return _stored_data(issue)


def _stored_data(issue: Issue | None) -> dict[str, Any]:
    if issue is None:
        primary = current_app.config["PRIMARY_LANGUAGE"]
        return {"title": "", "introduction": "", "language": primary, "article_ids": [], "include_events": True,
                "translations": {other: {"title": "", "introduction": "", "article_ids": []}
                                 for other in LANGUAGES if other != primary}}
    main_ids = [item.article_id for item in issue.primary.items]
    translations = {}
    for other in LANGUAGES:
        if other != issue.language:
            version = issue.version(other)
            own_ids = [item.article_id for item in version.items] if version else []
            translations[other] = {"title": version.title if version else "",
                                   "introduction": version.introduction if version else "",
                                   "article_ids": [] if own_ids == main_ids else own_ids}
    return {"title": issue.primary.title, "introduction": issue.primary.introduction, "language": issue.language,
            "article_ids": [item.article_id for item in issue.primary.items], "include_events": issue.include_events,
            "translations": translations}


def _ids(field: str) -> list[int]:
    return [int(value) for value in request.form.getlist(field) if value.isdigit()]


def _readers(data: dict[str, Any]) -> list[ReaderVersion]:
    """What the subscribers of each language get from the composer's values (shown, never silent)."""
    return reader_versions(db.session(), data, data["translations"], str(current_app.config["PRIMARY_LANGUAGE"]))


def _use_case_data(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the issues use-case takes them (language versions with a title only)."""
    versions = [{"language": other, "title": text["title"], "introduction": text["introduction"],
                 "article_ids": version_articles(data, text)}
                for other, text in data["translations"].items() if text["title"]]
    plain = {key: value for key, value in data.items() if key != "translations"}
    return {**plain, "versions": versions}


def _check(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data["title"]:
        errors["title"] = [_("Give the issue a title.")]
    elif len(data["title"]) > 200:
        errors["title"] = [_("The title can have at most 200 characters.")]
    if data["language"] not in LANGUAGES:
        errors["language"] = [_("Choose a language.")]
    for other, text in data["translations"].items():
        if len(text["title"]) > 200:
            errors[f"title_{other}"] = [_("The title can have at most 200 characters.")]
        elif (text["introduction"].strip() or text["article_ids"]) and not text["title"]:
            errors[f"title_{other}"] = [_("Give this language version a title too.")]
    return errors


def _preview(data: dict[str, Any]) -> dict[str, Any]:
    return {"title": data["title"], "introduction": data["introduction"],
            "articles": article_cases.articles_by_ids(db.session(), data["article_ids"]),
            "include_events": data["include_events"]}


def new_issue() -> str | Response | tuple[str, int]:
    data = _form_data(None)
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and request.form.get("action") != "preview":
        errors = _check(data)
        if not errors:
            session = db.session()
            try:
                issue = issue_cases.compose(session, _use_case_data(data))
            except DomainError as error:
                session.rollback()
                errors = _field_errors(error)
            else:
                session.commit()
                flash(_("The draft is saved."), "success")
                return redirect(url_for(".issue", issue_id=issue.id))
    return render_template("admin/newsletter/issue_compose.html", issue=None, data=data, errors=errors,
                           articles=issue_cases.available_articles(db.session(), None), preview=_preview(data),
                           languages=LANGUAGES, readers=_readers(data)), 422 if errors else 200


def issue_page(issue_id: int) -> str | Response | tuple[str, int]:
    session = db.session()
    issue = issue_cases.get_issue(session, issue_id)
    data = _form_data(issue)
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and request.form.get("action") != "preview":
        errors = _check(data)
        if not errors:
            try:
                issue_cases.update(session, issue_id, _use_case_data(data))
            except DomainError as error:
                session.rollback()
                errors = _field_errors(error)
            else:
                session.commit()
                flash(_("The draft is saved."), "success")
                return redirect(url_for(".issue", issue_id=issue_id))
    return render_issue(issue, data, errors)


def render_issue(issue: Issue, data: dict[str, Any] | None = None, errors: dict[str, list[str]] | None = None,
                 send_form: dict[str, str] | None = None) -> tuple[str, int]:
    """The issue's page: the composer (or its content once sent), test send, send, progress and controls."""
    errors = errors or {}
    data = data if data is not None else _stored_data(issue)
    counts = progress.progress(issue)
    return render_template("admin/newsletter/issue_compose.html", issue=issue, data=data, errors=errors,
                           editable=issue.status in issue_cases.EDITABLE,
                           articles=issue_cases.available_articles(db.session(), issue), preview=_preview(data),
                           languages=LANGUAGES, readers=_readers(data), statuses=issue_status_labels(), progress=counts,
                           progress_summary=progress_summary(issue, counts),
                           feedback_rows=feedback_rows(campaign(issue)) if issue.started_at else None,
                           send_form=send_form or {"when": "now", "send_at": ""}), 422 if errors else 200


def progress_summary(issue: Issue, counts: Progress) -> str:
    """The progress in one sentence; a dash for a count the mailer cannot tell now."""
    shown = {name: UNKNOWN if value is None else value for name, value in counts.items()}
    if issue.status.value == "sent":
        return str(_("Sending is finished: %(sent)s sent, %(failed)s failed, %(suppressed)s suppressed "
                 "(%(total)s recipients).", **shown))
    return str(_("%(sent)s of %(total)s sent, %(failed)s failed, %(suppressed)s suppressed.", **shown))


@dataclass(frozen=True)
class FeedbackRow:
    """One line of what came back from a campaign: its count, the addresses the mailer lists (masked) and
    how many it does not list (erased people, or past its limit)."""

    label: str
    count: int
    addresses: tuple[str, ...] = ()
    unlisted: int = 0


def feedback_labels() -> dict[str, str]:
    return {"hard_bounced": _("Bounced for good"), "soft_bounced": _("Bounced for now"),
            "complained": _("Marked as spam"), "unsubscribed": _("Unsubscribed by email")}


def feedback_rows(campaign_name: str) -> list[FeedbackRow] | None:
    """Sent, bounces, complaints and unsubscribes of a campaign (an issue, an announcement); None when
    the mailer does not answer."""
    try:
        feedback: CampaignFeedback = MailerClient().campaign_feedback(campaign_name)
    except ServiceCallFailed as error:
        log.warning("campaign feedback unavailable: %s", error)
        return None
    labels = feedback_labels()
    rows = [FeedbackRow(_("Sent"), feedback.sent)]
    for kind in FEEDBACK_KINDS:
        count, addresses = getattr(feedback, kind), feedback.addresses[kind]
        rows.append(FeedbackRow(labels[kind], count, addresses, max(count - len(addresses), 0)))
    return rows


def _field_errors(error: DomainError) -> dict[str, list[str]]:
    """The use-case's refusal next to the fields, in the user's language (its own text is English)."""
    fields = {str(name).split(".")[0] for name in (error.errors or {})}
    errors: dict[str, list[str]] = {}
    if fields & {"article_ids", "versions"}:
        errors["article_ids"] = [_("Choose each article once, and only accepted articles.")]
    if "language" in fields:
        errors["language"] = [_("The language of an issue cannot change. Create a new issue instead.")]
    return errors or {"title": [_("The draft was not saved. Check the fields and try again.")]}


def live_preview() -> str:
    """The composer's preview, for the small script that refreshes it while the coordinator types."""
    return render_template("admin/newsletter/_issue_preview.html", preview=_preview(_form_data(None)))


def test_send(issue_id: int) -> Response:
    addresses = [a.strip() for a in request.form.get("emails", "").replace(",", " ").split() if a.strip()]
    if not addresses or len(addresses) > MAX_TEST_ADDRESSES or any("@" not in a for a in addresses):
        flash(_("Enter up to %(count)s valid email addresses for the test.", count=MAX_TEST_ADDRESSES), "error")
        return redirect(url_for(".issue", issue_id=issue_id))
    session = db.session()
    count = sending.test_send(session, issue_id, addresses, request.form.get("language") or None)
    session.commit()
    flash(_("A test email is on its way to %(count)s addresses.", count=count), "success")
    return redirect(url_for(".issue", issue_id=issue_id))

