"""The workspace's subscriber downloads for people: the subscribers the search shows as CSV
(shared.csvfile) and XLSX (shared.spreadsheet), with headers, languages, topics and statuses in the
page's language and times in Helsinki time. The API's export.csv keeps the import's column names and
stored values, so that file imports back unchanged (subscribers/api.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from sqlalchemy import select

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import Subscriber
from services.subscriptions.subscribers.operations import listing
from services.subscriptions.subscribers.pages.workspace import status_labels, topic_labels
from shared.csvfile import csv_response
from shared.spreadsheet import readable_rows, xlsx_response
from shared.web import current_language
from shared.web_auth import login_required


def add_routes(blueprint: Blueprint) -> None:
    coordinator = login_required("coordinator")
    blueprint.add_url_rule("/subscribers/export.csv", "subscribers_export", coordinator(export_csv))
    blueprint.add_url_rule("/subscribers/export.xlsx", "subscribers_export_xlsx", coordinator(export_xlsx))


def header() -> list[str]:
    return [_("Email address"), _("Name"), _("Organisation"), _("Language"), _("Topics"), _("Consent given"),
            _("Status"), _("Added"), _("Unsubscribed")]


def language_labels() -> dict[str, str]:
    return {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}


def rows() -> list[list[Any]]:
    """The subscribers the search shows (everyone without one), oldest first, in words."""
    scope = listing.SubscriberFilter.from_args({"q": request.args.get("q", ""),
                                                "status": request.args.get("status", "")})
    topics, statuses, languages = topic_labels(), status_labels(), language_labels()
    found = db.session().scalars(scope.apply(select(Subscriber)).order_by(Subscriber.id))
    return [[s.email, s.name or "", s.organisation or "", languages.get(s.language, s.language),
             ", ".join(topics.get(t, t) for t in s.topic_names), s.confirmed_at,
             statuses.get(s.status.value, s.status.value), s.created_at, s.unsubscribed_at] for s in found]


def _filename(kind: str) -> str:
    return listing.export_filename().removesuffix(".csv") + f".{kind}"


def export_csv() -> Response:
    return csv_response(_filename("csv"), header(), readable_rows(rows(), current_language()))


def export_xlsx() -> Response:
    return xlsx_response(_filename("xlsx"), header(), rows(), title=_("Subscribers"))
