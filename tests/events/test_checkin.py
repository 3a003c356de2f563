"""The organiser's registration list (pages/checkin.py): search, one-tap check-in back to the row, and a
cancellation that asks first and can be undone for a while without anyone being mailed. The clock is
the scheduler's (`tick(now=…)`) and the use-cases' `now=`, never a sleep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import Client

from services.events import jobs  # noqa: F401 - registers the job handlers
from services.events.models import Registration, RegistrationStatus, db
from services.events.operations import registrations, seats
from shared import scheduler
from shared.db import utcnow
from shared.errors import Conflict
from tests.events.factories import make_event, register
from tests.web.conftest import csrf_from, log_in, make_user

ENGLISH = {"Accept-Language": "en"}
CANCELLED_MAIL = "registration-cancelled"


@pytest.fixture
def admin(apps: dict[str, Flask], client: Client) -> Client:
    assert log_in(client, "/events", make_user("organiser@example.fi", "organizer")).status_code == 302
    return client


@pytest.fixture
def full_event(events_app: Flask) -> dict[str, Any]:
    """One seat: Anna has it (confirmed), Bo waits."""
    event = make_event(events_app, capacity=1, mode="onsite", online_url="")
    anna = register(events_app, event.id, "anna@example.fi", name="Anna Aalto", organisation="Oulun kaupunki")
    bo = register(events_app, event.id, "bo@example.fi", name="Bo Berg", organisation="Vaasan yliopisto")
    assert (anna.status, bo.status) == (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    return {"id": event.id, "anna": anna.id, "bo": bo.id, "path": f"/events/admin/events/{event.id}"}


def _status(registration_id: int) -> RegistrationStatus:
    with db.transaction() as session:
        return session.get_one(Registration, registration_id).status


def _tick(app: Flask, now: dt.datetime) -> int:
    with app.app_context():
        return scheduler.tick(db, "test-scheduler", now=now)


def _cancel_on_the_page(admin: Client, event: dict[str, Any], registration_id: int) -> str:
    asked = admin.get(f"/events/admin/registrations/{registration_id}/cancel", headers=ENGLISH)
    assert asked.status_code == 200
    assert "Cancel the registration?" in asked.get_data(as_text=True)
    assert _status(registration_id) is RegistrationStatus.CONFIRMED  # asking changes nothing
    done = admin.post(f"/events/admin/registrations/{registration_id}/cancel", data={"csrf_token": csrf_from(asked)})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"{event['path']}#undo")
    return csrf_from(asked)


def test_undo_within_the_window_restores_the_seat_and_mails_nobody(
        events_app: Flask, admin: Client, full_event: dict[str, Any], sent_emails: Any) -> None:
    mails_before = len(sent_emails())
    token = _cancel_on_the_page(admin, full_event, full_event["anna"])
    assert _status(full_event["anna"]) is RegistrationStatus.CANCELLED
    page = admin.get(full_event["path"], headers=ENGLISH).get_data(as_text=True)
    assert "Undo" in page
    assert f"/events/admin/registrations/{full_event['anna']}/undo-cancel" in page
    with db.transaction() as session:  # the seat is kept for the undo: Bo still waits, a newcomer waits too
        assert seats.seats(session, full_event["id"]).taken == 1
    newcomer = register(events_app, full_event["id"], "cecilia@example.fi", name="Cecilia")
    assert newcomer.status is RegistrationStatus.WAITLISTED
    assert _status(full_event["bo"]) is RegistrationStatus.WAITLISTED

    undone = admin.post(f"/events/admin/registrations/{full_event['anna']}/undo-cancel", data={"csrf_token": token})
    assert undone.status_code == 302
    assert undone.headers["Location"].endswith(f"#r-{full_event['anna']}")
    assert _status(full_event["anna"]) is RegistrationStatus.CONFIRMED
    _tick(events_app, utcnow() + registrations.UNDO_WINDOW + dt.timedelta(minutes=1))
    assert _status(full_event["anna"]) is RegistrationStatus.CONFIRMED
    assert _status(full_event["bo"]) is RegistrationStatus.WAITLISTED
    new_mail = sent_emails()[mails_before:]
    assert [m["template"] for m in new_mail if m["recipient"]["email"] != "cecilia@example.fi"] == []
    assert sent_emails(CANCELLED_MAIL) == []


def test_after_the_window_the_person_is_mailed_the_seat_moves_on_and_undo_is_refused(
        events_app: Flask, admin: Client, full_event: dict[str, Any], sent_emails: Any) -> None:
    token = _cancel_on_the_page(admin, full_event, full_event["anna"])
    later = utcnow() + registrations.UNDO_WINDOW + dt.timedelta(seconds=1)
    with events_app.app_context(), db.transaction() as session, pytest.raises(Conflict, match="has passed"):
        registrations.undo_cancellation(session, full_event["anna"], now=later)
    assert sent_emails(CANCELLED_MAIL) == []
    assert _tick(events_app, later) == 1
    assert [m["recipient"]["email"] for m in sent_emails(CANCELLED_MAIL)] == ["anna@example.fi"]
    assert _status(full_event["bo"]) in (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)

    refused = admin.post(f"/events/admin/registrations/{full_event['anna']}/undo-cancel",
                         data={"csrf_token": token}, headers=ENGLISH, follow_redirects=True)
    assert "This cancellation cannot be undone." in refused.get_data(as_text=True)
    assert _status(full_event["anna"]) is RegistrationStatus.CANCELLED
    assert _tick(events_app, later + dt.timedelta(minutes=5)) == 0
    assert len(sent_emails(CANCELLED_MAIL)) == 1


def test_a_held_seat_comes_back_held_and_a_waiting_person_keeps_their_place(
        events_app: Flask, full_event: dict[str, Any]) -> None:
    unconfirmed = register(events_app, full_event["id"], "dan@example.fi", name="Dan", confirm=False)
    assert unconfirmed.status is RegistrationStatus.WAITLISTED
    with events_app.app_context(), db.transaction() as session:
        registrations.cancel_by_organiser(session, full_event["bo"])
        registrations.undo_cancellation(session, full_event["bo"])
        queue = [r.id for r in seats.waiting_list(session, full_event["id"])]
    assert queue == [full_event["bo"], unconfirmed.id]
    with events_app.app_context(), db.transaction() as session:
        registrations.cancel_by_organiser(session, full_event["anna"])
        with pytest.raises(Conflict, match="already cancelled"):
            registrations.cancel_by_organiser(session, full_event["anna"])


def test_registering_again_within_the_window_brings_the_registration_back(
        events_app: Flask, full_event: dict[str, Any], sent_emails: Any) -> None:
    with events_app.app_context(), db.transaction() as session:
        registrations.cancel_by_organiser(session, full_event["anna"])
    again = register(events_app, full_event["id"], "anna@example.fi", name="Anna Aalto")
    assert again.status is RegistrationStatus.CONFIRMED
    _tick(events_app, utcnow() + registrations.UNDO_WINDOW + dt.timedelta(minutes=1))
    assert _status(full_event["anna"]) is RegistrationStatus.CONFIRMED
    assert sent_emails(CANCELLED_MAIL) == []


def test_search_finds_by_name_email_or_organisation(admin: Client, full_event: dict[str, Any]) -> None:
    def rows(query: str) -> set[str]:
        page = admin.get(f"{full_event['path']}?q={query}", headers=ENGLISH).get_data(as_text=True)
        return {name for name in ("Anna Aalto", "Bo Berg") if name in page}

    assert rows("") == {"Anna Aalto", "Bo Berg"}
    assert rows("aalto") == {"Anna Aalto"}
    assert rows("bo%40example") == {"Bo Berg"}
    assert rows("VAASAN") == {"Bo Berg"}
    assert rows("oulun anna") == {"Anna Aalto"}
    nobody = admin.get(f"{full_event['path']}?q=zzz", headers=ENGLISH).get_data(as_text=True)
    assert "Nobody here matches the search." in nobody


def test_check_in_is_one_tap_and_returns_to_the_row_with_the_search_kept(
        admin: Client, full_event: dict[str, Any]) -> None:
    token = csrf_from(admin.get(full_event["path"], headers=ENGLISH))
    done = admin.post(f"/events/admin/registrations/{full_event['anna']}/check-in",
                      data={"csrf_token": token, "checked_in": "1", "q": "anna"}, headers=ENGLISH)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"{full_event['path']}?q=anna#r-{full_event['anna']}")
    page = admin.get(done.headers["Location"], headers=ENGLISH).get_data(as_text=True)
    assert "Anna Aalto has arrived." in page
    with db.transaction() as session:
        assert session.scalar(select(Registration.checked_in).where(Registration.id == full_event["anna"]))
    refused = admin.post(f"/events/admin/registrations/{full_event['bo']}/check-in",
                         data={"csrf_token": token, "checked_in": "1"}, headers=ENGLISH, follow_redirects=True)
    assert "Only a confirmed participant can be checked in." in refused.get_data(as_text=True)
