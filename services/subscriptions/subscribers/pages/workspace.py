"""The coordinator's workspace pages of the subscribers part, and the workspace's front page.

Subscribers: search, counts by topic and language, growth over time, CSV import (the downloads are in
exports.py), unsubscribing someone who asked by reply or phone.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as BaseResponse

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Article, ArticleStatus, Issue, IssueStatus
from services.subscriptions.subscribers.models import (
    SUBSCRIBER_LANGUAGES,
    TOPICS,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
)
from services.subscriptions.subscribers.operations import consent, importing, listing
from shared.charts import bars
from shared.errors import DomainError
from shared.i18n import LANGUAGE_NAMES
from shared.web_auth import login_required

PAGE_SIZE = 50
GROWTH_MONTHS = 12
WAITING_FOR_REVIEW = (ArticleStatus.SUBMITTED, ArticleStatus.RESUBMITTED)


def add_routes(blueprint: Blueprint) -> None:
    coordinator = login_required("coordinator")
    blueprint.add_url_rule("/", "dashboard", dashboard)
    blueprint.add_url_rule("/subscribers", "subscribers", coordinator(subscribers_page))
    blueprint.add_url_rule("/subscribers/import", "subscribers_import", coordinator(import_csv),
                           methods=["GET", "POST"])
    blueprint.add_url_rule("/subscribers/<int:subscriber_id>/unsubscribe", "subscriber_unsubscribe",
                           coordinator(unsubscribe_subscriber), methods=["POST"])


def dashboard() -> str:
    """What waits for the coordinator: the list's size, articles to review, draft issues."""
    session = db.session()
    statuses = listing.counts(session).status
    to_review = session.scalar(select(func.count()).select_from(Article)
                               .where(Article.status.in_(WAITING_FOR_REVIEW))) or 0
    drafts = session.scalar(select(func.count()).select_from(Issue).where(Issue.status == IssueStatus.DRAFT)) or 0
    return render_template("admin/newsletter/dashboard.html", confirmed=statuses[SubscriberStatus.CONFIRMED.value],
                           pending=statuses[SubscriberStatus.PENDING.value], to_review=to_review, drafts=drafts)


def topic_labels() -> dict[str, str]:
    return {"newsletter": _("Newsletter"), "events": _("Events"), "trainings": _("Trainings")}


def status_labels() -> dict[str, str]:
    return {"pending": _("Waiting for confirmation"), "confirmed": _("Confirmed"),
            "unsubscribed": _("Unsubscribed"), "bounced": _("Address does not work"),
            "complained": _("Marked as spam")}


def _scope() -> listing.SubscriberFilter:
    return listing.SubscriberFilter.from_args({"q": request.args.get("q", ""),
                                               "status": request.args.get("status", "")})


def subscribers_page() -> str:
    session = db.session()
    scope = _scope()
    confirmed = listing.counts(session, listing.SubscriberFilter(status=SubscriberStatus.CONFIRMED))
    growth = listing.growth(session, GROWTH_MONTHS)
    return render_template(
        "admin/newsletter/subscribers.html", found=listing.newest(session, scope, PAGE_SIZE),
        query_text=scope.text or "", status=scope.status.value if scope.status else "",
        statuses=status_labels(), topics=topic_labels(),
        topic_bars=bars((topic_labels()[t], confirmed.topic[t]) for t in TOPICS),
        language_bars=bars((LANGUAGE_NAMES[code], confirmed.language[code]) for code in SUBSCRIBER_LANGUAGES),
        growth_bars=bars((month.strftime("%m/%Y"), total) for month, total in growth),
        page_size=PAGE_SIZE)


def unsubscribe_subscriber(subscriber_id: int) -> BaseResponse:
    """The person asked the coordinator (a reply to the newsletter, a phone call) to be taken off."""
    session = db.session()
    subscriber = session.get(Subscriber, subscriber_id, with_for_update=True)
    back = redirect(url_for(".subscribers", q=request.form.get("q") or None,
                            status=request.form.get("status") or None))
    if subscriber is None:
        flash(_("There is no such subscriber."), "error")
        return back
    if subscriber.status not in (SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED):
        flash(_("%(email)s is not on the newsletter list.", email=subscriber.email), "success")
        return back
    consent.unsubscribe(session, subscriber, ConsentSource.ADMIN)
    session.commit()
    flash(_("%(email)s is unsubscribed and gets no more newsletter mail.", email=subscriber.email), "success")
    return back


def import_csv() -> str | BaseResponse | tuple[str, int]:
    """Rows with a recorded consent date are confirmed at once; the others get a confirmation email.
    A file with any bad row imports nothing: the page lists the rows to fix."""
    errors: dict[str, list[str]] = {}
    row_errors: list[importing.RowError] = []
    if request.method == "POST":
        text = _read_upload(request.files.get("file"), errors)
        if text is not None:
            session = db.session()
            try:
                report = importing.import_csv(session, text)
            except DomainError as error:
                session.rollback()
                errors["file"] = [_(error.detail)]
            else:
                if report.errors or not report.rows:
                    session.rollback()
                    row_errors = report.errors
                    if not report.rows and not report.errors:
                        errors["file"] = [_("The file has no rows.")]
                else:
                    session.commit()
                    flash(_("Import done: %(created)s new, %(emails)s confirmation emails sent, %(unchanged)s "
                            "already on the list.", created=report.created, emails=report.confirmation_emails,
                            unchanged=report.unchanged + report.updated), "success")
                    return redirect(url_for(".subscribers"))
    status = 422 if errors or row_errors else 200
    return render_template("admin/newsletter/import.html", errors=errors, row_errors=row_errors,
                           columns=", ".join(importing.COLUMNS)), status


def _read_upload(upload: FileStorage | None, errors: dict[str, list[str]]) -> str | None:
    if upload is None or not upload.filename:
        errors["file"] = [_("Choose a CSV file.")]
        return None
    try:
        return str(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        errors["file"] = [_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")]
        return None
