"""The coordinator's announcement pages in the workspace (/newsletter/admin/announcements, coordinators only).

The list shows every mailing (an event's announcement or a week's digest): its status and how many of its
recipients are with the mailer. A mailing's page adds pause, resume and cancel (cancel first says what it
stops, and takes effect on a second POST with `confirm=yes`) and what came back from its messages. Only a
POST changes anything; the use-cases are `operations.sending`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from services.subscriptions.announcements import emails
from services.subscriptions.announcements.models import (
    AnnouncementDelivery,
    AnnouncementMailing,
    MailingKind,
    MailingStatus,
)
from services.subscriptions.announcements.operations import sending
from services.subscriptions.models import db
from services.subscriptions.newsletter.pages.workspace import feedback_rows
from shared.errors import DomainError, NotFound
from shared.formatting import format_date
from shared.web import current_language
from shared.web_auth import login_required

LIST_SIZE = 100
CONTROLLABLE = (MailingStatus.SENDING, MailingStatus.PAUSED)


@dataclass(frozen=True)
class MailingSummary:
    """A mailing as the pages show it: its title in the page's language and the recipients with the mailer."""

    mailing: AnnouncementMailing
    title: str
    handed: int

    @property
    def not_reached(self) -> int:
        return max(self.mailing.total - self.handed, 0)

    @property
    def controllable(self) -> bool:
        """Pause, resume and cancel work on an event's announcement that is still being handed over."""
        mailing = self.mailing
        return (mailing.kind is MailingKind.EACH and mailing.status in CONTROLLABLE
                and mailing.handed_over_at is None)


def add_routes(blueprint: Blueprint) -> None:
    coordinator = login_required("coordinator")
    blueprint.add_url_rule("/announcements", "announcements", coordinator(mailings_page))
    blueprint.add_url_rule("/announcements/<int:mailing_id>", "announcement", coordinator(mailing_page))
    for action in ("pause", "resume", "cancel"):
        blueprint.add_url_rule(f"/announcements/<int:mailing_id>/{action}", f"announcement_{action}",
                               coordinator(_state_change(action)), methods=["POST"])


def status_labels() -> dict[str, str]:
    return {"sending": _("Sending"), "paused": _("Paused"), "cancelled": _("Cancelled"), "sent": _("Sent")}


def mailing_title(mailing: AnnouncementMailing) -> str:
    """The event's title in the page's language (else the primary one); a digest is the week's summary."""
    language = current_language()
    if mailing.announcement is not None:
        return mailing.announcement.text(language, str(current_app.config["PRIMARY_LANGUAGE"]))[0]
    week = format_date(mailing.week, language) if mailing.week else ""
    return str(_("Weekly summary %(date)s", date=week))


def _handed_count() -> ScalarSelect[int]:
    return (select(func.count()).select_from(AnnouncementDelivery)
            .where(AnnouncementDelivery.mailing_id == AnnouncementMailing.id).scalar_subquery())


def newest_mailings() -> list[MailingSummary]:
    query = (select(AnnouncementMailing, _handed_count()).options(selectinload(AnnouncementMailing.announcement))
             .order_by(AnnouncementMailing.id.desc()).limit(LIST_SIZE))
    return [MailingSummary(mailing, mailing_title(mailing), handed or 0)
            for mailing, handed in db.session().execute(query)]


def mailing_summary(mailing_id: int) -> MailingSummary:
    session = db.session()
    mailing = session.get(AnnouncementMailing, mailing_id)
    if mailing is None:
        raise NotFound("There is no such mailing.")
    return MailingSummary(mailing, mailing_title(mailing), sending.delivery_count(session, mailing_id))


def mailings_page() -> str:
    return render_template("admin/announcements/mailings.html", mailings=newest_mailings(),
                           statuses=status_labels(), list_size=LIST_SIZE)


def mailing_page(mailing_id: int) -> str:
    summary = mailing_summary(mailing_id)
    return render_template("admin/announcements/mailing.html", summary=summary, mailing=summary.mailing,
                           statuses=status_labels(), feedback_rows=feedback_rows(emails.campaign(summary.mailing)))


def _state_change(action: str) -> Callable[[int], Response | tuple[str, int]]:
    change = {"pause": sending.pause, "resume": sending.resume, "cancel": sending.cancel}[action]

    def view(mailing_id: int) -> Response | tuple[str, int]:
        summary = mailing_summary(mailing_id)
        announcement_id = summary.mailing.announcement_id
        if announcement_id is None:
            flash(_("A weekly summary cannot be paused or cancelled."), "error")
        elif action == "cancel" and request.form.get("confirm") != "yes":
            return render_template("admin/announcements/cancel_confirm.html", summary=summary,
                                   mailing=summary.mailing), 200
        else:
            db.session().expire(summary.mailing)  # the use-case locks the row: let it read the row afresh
            _apply(change, announcement_id, mailing_id, _done_message(action))
        return redirect(url_for(".announcement", mailing_id=mailing_id))

    view.__name__ = f"announcement_{action}"
    return view


def _done_message(action: str) -> str:
    """Translated per request: a dict built when the routes are added would stay in English."""
    done = {"pause": _("Sending is paused."), "resume": _("Sending continues."), "cancel": _("Sending is cancelled.")}
    return str(done[action])


def _apply(change: Callable[[Session, int], object], announcement_id: int, mailing_id: int, done: str) -> None:
    session = db.session()
    try:
        change(session, announcement_id)
    except DomainError:  # another coordinator was first, or the last batch went to the mailer meanwhile
        session.rollback()
        flash(_refusal(mailing_summary(mailing_id)), "error")
    else:
        session.commit()
        flash(done, "success")


def _refusal(summary: MailingSummary) -> str:
    if summary.mailing.handed_over_at is not None:
        return str(_("Every message is already with the mail service: sending can no longer be paused or cancelled."))
    status = summary.mailing.status.value
    return str(_("This cannot be done now. The announcement's status: %(status)s.",
                 status=status_labels().get(status, status)))
