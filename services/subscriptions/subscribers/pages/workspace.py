"""Subscribers: search, counts by topic and language, growth over time, CSV import and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as BaseResponse

from services.subscriptions.models import db
from services.subscriptions.subscribers import importing, operations
from services.subscriptions.subscribers.models import (
    SUBSCRIBER_LANGUAGES,
    TOPICS,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
    SubscriberTopic,
)
from shared.charts import bars, cumulative_by_month, month_starts
from shared.db import utcnow
from shared.errors import DomainError
from shared.i18n import LANGUAGE_NAMES
from shared.web_auth import login_required

PAGE_SIZE = 50
GROWTH_MONTHS = 12
CSV_COLUMNS = ("email", "name", "organisation", "language", "topics", "status", "created_at", "confirmed_at")


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/subscribers", "subscribers", login_required("coordinator")(subscribers_page))
    blueprint.add_url_rule("/subscribers/export.csv", "subscribers_export",
                           login_required("coordinator")(export_csv))
    blueprint.add_url_rule("/subscribers/import", "subscribers_import",
                           login_required("coordinator")(import_csv), methods=["GET", "POST"])
    blueprint.add_url_rule("/subscribers/<int:subscriber_id>/unsubscribe", "subscriber_unsubscribe",
                           login_required("coordinator")(unsubscribe_subscriber), methods=["POST"])


def topic_labels() -> dict[str, str]:
    return {"newsletter": _("Newsletter"), "events": _("Events"), "trainings": _("Trainings")}


def status_labels() -> dict[str, str]:
    return {"pending": _("Waiting for confirmation"), "confirmed": _("Confirmed"),
            "unsubscribed": _("Unsubscribed"), "bounced": _("Address does not work"),
            "complained": _("Marked as spam")}


def subscribers_page() -> str:
    session = db.session()
    query_text = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    query = select(Subscriber).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    if query_text:
        wanted = query_text.lower()
        query = query.where(or_(*(func.lower(column).contains(wanted, autoescape=True)
                                  for column in (Subscriber.email, Subscriber.name, Subscriber.organisation))))
    if status in {s.value for s in SubscriberStatus}:
        query = query.where(Subscriber.status == SubscriberStatus(status))
    found = list(session.scalars(query.limit(PAGE_SIZE)))
    confirmed = Subscriber.status == SubscriberStatus.CONFIRMED
    by_topic: dict[str, int] = dict(session.execute(
        select(SubscriberTopic.topic, func.count()).join(Subscriber).where(confirmed)
        .group_by(SubscriberTopic.topic)).all())
    by_language: dict[str, int] = dict(session.execute(
        select(Subscriber.language, func.count()).where(confirmed).group_by(Subscriber.language)).all())
    confirmed_dates = [moment.date() for moment in session.scalars(
        select(Subscriber.confirmed_at).where(confirmed, Subscriber.confirmed_at.is_not(None))) if moment]
    months = month_starts(utcnow().date(), GROWTH_MONTHS)
    growth = cumulative_by_month(confirmed_dates, months)
    return render_template(
        "admin/newsletter/subscribers.html", found=found, query_text=query_text, status=status,
        statuses=status_labels(), topics=topic_labels(),
        topic_bars=bars((topic_labels()[t], by_topic.get(t, 0)) for t in TOPICS),
        language_bars=bars((LANGUAGE_NAMES[code], by_language.get(code, 0)) for code in SUBSCRIBER_LANGUAGES),
        growth_bars=bars((month.strftime("%m/%Y"), total) for month, total in zip(months, growth, strict=True)),
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
    operations.unsubscribe(session, subscriber, ConsentSource.ADMIN)
    session.commit()
    flash(_("%(email)s is unsubscribed and gets no more newsletter mail.", email=subscriber.email), "success")
    return back


def export_csv() -> Response:
    session = db.session()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for subscriber in session.scalars(select(Subscriber).order_by(Subscriber.id)):
            writer.writerow([_cell(subscriber.email), _cell(subscriber.name or ""),
                             _cell(subscriber.organisation or ""), subscriber.language,
                             " ".join(subscriber.topic_names), subscriber.status.value,
                             _iso(subscriber.created_at), _iso(subscriber.confirmed_at)])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()

    filename = f"subscribers-{utcnow().date().isoformat()}.csv"
    # A byte-order mark so that Excel opens the file as UTF-8 (ä, ö, å).
    return Response("\ufeff" + "".join(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _cell(text: str) -> str:
    """Names come from a public form: a leading =, +, - or @ must not run as a spreadsheet formula."""
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


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
