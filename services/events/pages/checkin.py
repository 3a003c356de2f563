"""The registration list of the organiser's event page (/events/admin/events/<id>): check-in with one
tap, confirming, promoting from the waiting list, and cancelling behind a confirmation page with an
undo for a while (`operations.registrations.cancel_by_organiser`). Every action returns to its row.

The list itself is the template `events/workspace/registrations.html`, included by the event page;
its search (`?q=`, name, email or organisation) is the `matching` filter below, so it works without
JavaScript."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from services.events.models import Registration, db
from services.events.operations import registrations
from shared.db import utcnow
from shared.errors import DomainError
from shared.web import current_language

UNDO_MINUTES = int(registrations.UNDO_WINDOW.total_seconds() // 60)


def add_routes(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/registrations/<int:registration_id>/check-in", "check_in", check_in, methods=["POST"])
    blueprint.add_url_rule("/registrations/<int:registration_id>/promote", "promote", promote, methods=["POST"])
    blueprint.add_url_rule("/registrations/<int:registration_id>/confirm", "confirm", confirm, methods=["POST"])
    blueprint.add_url_rule("/registrations/<int:registration_id>/cancel", "registration_cancel",
                           cancel_registration, methods=["GET", "POST"])
    blueprint.add_url_rule("/registrations/<int:registration_id>/undo-cancel", "registration_undo",
                           undo_cancel, methods=["POST"])
    blueprint.add_app_template_filter(matching, "matching")
    blueprint.add_app_template_test(undoable, "undoable")


# --- the list's helpers (templates) -----------------------------------------------------------------

def matching(rows: Iterable[Registration], query: str | None) -> list[Registration]:
    """The registrations whose name, email address or organisation contains every word of `query`."""
    words = (query or "").casefold().split()
    return [r for r in rows if all(word in f"{r.name} {r.email} {r.organisation}".casefold() for word in words)]


def undoable(registration: Registration) -> bool:
    return registration.undo_until is not None and registration.undo_until > utcnow()


# --- actions ---------------------------------------------------------------------------------------

def check_in(registration_id: int) -> BaseResponse:
    arrived = request.form.get("checked_in") == "1"
    return _act(registration_id, lambda session: registrations.set_checked_in(session, registration_id, arrived),
                lambda name: _("%(name)s has arrived.", name=name) if arrived
                else _("%(name)s is no longer marked as arrived.", name=name))


def promote(registration_id: int) -> BaseResponse:
    return _act(registration_id, lambda session: registrations.promote(session, registration_id),
                lambda name: _("%(name)s got a seat and an email.", name=name))


def confirm(registration_id: int) -> BaseResponse:
    return _act(registration_id,
                lambda session: registrations.confirm_address(session, registration_id, by_organiser=True),
                lambda name: _("The registration of %(name)s is confirmed. The person got an email.", name=name))


def cancel_registration(registration_id: int) -> str | BaseResponse:
    """GET: the confirmation page; POST: cancel (undoable, the email waits)."""
    if request.method == "POST":
        return _act(registration_id, lambda session: registrations.cancel_by_organiser(session, registration_id),
                    lambda name: _("The registration of %(name)s is cancelled. You can undo this for %(minutes)s "
                                   "minutes; the email goes out after that.", name=name, minutes=UNDO_MINUTES),
                    anchor="undo")
    registration = db.session().get(Registration, registration_id)
    if registration is None:
        return _no_such_registration()
    return render_template("events/workspace/registration_cancel.html", registration=registration,
                           event=registration.event, query=request.args.get("q", ""),
                           minutes=UNDO_MINUTES,
                           language=current_language())


def undo_cancel(registration_id: int) -> BaseResponse:
    return _act(registration_id, lambda session: registrations.undo_cancellation(session, registration_id),
                lambda name: _("The cancellation is undone: %(name)s is registered again. No email was sent.",
                               name=name))


def _act(registration_id: int, action: Callable[[Session], object], done: Callable[[str], str],
         anchor: str | None = None) -> BaseResponse:
    """Run one use-case and go back to the registration's row (the search kept) with a message."""
    session = db.session()
    registration = session.get(Registration, registration_id)
    if registration is None:
        return _no_such_registration()
    event_id, name = registration.event_id, registration.name
    try:
        action(session)
    except DomainError as error:
        session.rollback()
        flash(_(error.detail), "error")
    else:
        session.commit()
        flash(done(name), "success")
    query = request.form.get("q") or None
    return redirect(url_for(".event", event_id=event_id, q=query) + f"#{anchor or f'r-{registration_id}'}")


def _no_such_registration() -> BaseResponse:
    flash(_("There is no such registration."), "error")
    return redirect(url_for(".dashboard"))
