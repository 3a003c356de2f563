"""The feedback request from the workspace: to the people marked arrived by default (or everyone with a
seat), after a confirmation that says how many get it; nobody asked twice; the automatic request after
the event follows the same default; the feedback page shows the response rate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from services.events import jobs  # noqa: F401 - registers the job handlers
from services.events.models import Event, Registration, db
from services.events.operations import feedback, registrations
from shared import scheduler
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput
from tests.events.factories import make_event, register
from tests.web.conftest import csrf_from, log_in, make_user

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def admin(apps: dict[str, Flask], client: Client) -> Client:
    """The test client, logged in to the events workspace as an organiser."""
    assert log_in(client, "/events", make_user("organizer@example.fi", "organizer")).status_code == 302
    return client


def seated_event(app: Flask, *, arrived: tuple[str, ...], absent: tuple[str, ...], started: bool = True) -> Event:
    """An event with confirmed seats, some marked arrived; moved into the past when `started`."""
    event = make_event(app)
    for name in (*arrived, *absent):
        registration = register(app, event.id, f"{name}@example.fi")
        if name in arrived:
            with app.app_context(), db.transaction() as session:
                registrations.set_checked_in(session, registration.id, True)
    if started:
        with app.app_context(), db.transaction() as session:
            row = session.get_one(Event, event.id)
            row.starts_at, row.ends_at = utcnow() - dt.timedelta(hours=3), utcnow() - dt.timedelta(hours=1)
    return event


def asked(sent_emails: Any) -> list[str]:
    return sorted(m["recipient"]["email"] for m in sent_emails("feedback-request"))


def test_the_organiser_asks_the_people_marked_arrived_then_the_rest_and_sees_the_response_rate(
        apps: dict[str, Flask], admin: Client, sent_emails: Any) -> None:
    event = seated_event(apps["events"], arrived=("anna", "bo"), absent=("cecilia",))
    page = admin.get(f"/events/admin/events/{event.id}/feedback", headers=ENGLISH)
    assert "Nobody has been asked for feedback yet." in page.get_data(as_text=True)
    assert 'value="checked-in" id="f-audience" checked' in page.get_data(as_text=True)
    confirm = admin.get(f"/events/admin/events/{event.id}/feedback/request?audience=checked-in", headers=ENGLISH)
    assert "who have not been asked yet: 2." in confirm.get_data(as_text=True)
    assert asked(sent_emails) == []  # the confirmation page sends nothing
    sent = admin.post(f"/events/admin/events/{event.id}/feedback/request", headers=ENGLISH,
                      data={"csrf_token": csrf_from(confirm), "audience": "checked-in"})
    assert sent.status_code == 302
    assert asked(sent_emails) == ["anna@example.fi", "bo@example.fi"]
    link = sent_emails("feedback-request")[0]["context"]["feedback_url"].split("/events", 1)[1]
    assert admin.post(f"/events{link}", data={"overall": "5"}).status_code == 201
    rate = admin.get(f"/events/admin/events/{event.id}/feedback", headers=ENGLISH).get_data(as_text=True)
    assert "Response rate 50% (answers: 1, requests sent: 2)." in rate
    finnish = admin.get(f"/events/admin/events/{event.id}/feedback", headers={"Accept-Language": "fi"})
    assert "Vastausprosentti 50 %" in finnish.get_data(as_text=True)

    rest = admin.get(f"/events/admin/events/{event.id}/feedback/request?audience=everyone", headers=ENGLISH)
    assert "arrived or not: 1." in rest.get_data(as_text=True)
    admin.post(f"/events/admin/events/{event.id}/feedback/request",
               data={"csrf_token": csrf_from(rest), "audience": "everyone"})
    assert asked(sent_emails) == ["anna@example.fi", "bo@example.fi", "cecilia@example.fi"]
    with apps["events"].app_context(), db.transaction() as session:
        summary = feedback.feedback_summary(session, event.id)
        assert feedback.send_feedback_requests(session, event.id) == 0  # the automatic one asks nobody again
    assert (summary["responses"], summary["requested"], summary["response_rate"]) == (1, 3, 0.333)


def test_the_automatic_request_after_the_event_asks_only_the_people_marked_arrived(
        apps: dict[str, Flask], sent_emails: Any) -> None:
    event = seated_event(apps["events"], arrived=("anna",), absent=("bo",), started=False)
    with apps["events"].app_context():
        scheduler.tick(db, "scheduler", now=event.ends_at + dt.timedelta(hours=1))
    assert asked(sent_emails) == ["anna@example.fi"]
    with apps["events"].app_context(), db.transaction() as session:
        marks = {r.email: r.feedback_requested_at is not None for r in session.query(Registration)}
    assert marks == {"anna@example.fi": True, "bo@example.fi": False}


def test_nothing_goes_before_the_start_nor_without_questions_nor_to_an_unknown_audience(
        apps: dict[str, Flask], admin: Client, sent_emails: Any) -> None:
    upcoming = seated_event(apps["events"], arrived=("anna",), absent=(), started=False)
    page = admin.get(f"/events/admin/events/{upcoming.id}/feedback/request", headers=ENGLISH)
    assert "You can ask for feedback once the event has started." in page.get_data(as_text=True)
    refused = admin.post(f"/events/admin/events/{upcoming.id}/feedback/request", headers=ENGLISH,
                         data={"csrf_token": csrf_from(page), "audience": "checked-in"}, follow_redirects=True)
    assert "You can ask for feedback once the event has started." in refused.get_data(as_text=True)
    silent = seated_event(apps["events"], arrived=("bo",), absent=())
    with apps["events"].app_context(), db.transaction() as session:
        session.get_one(Event, silent.id).feedback_questions = []
        with pytest.raises(Conflict, match="Add feedback questions first"):
            feedback.request_feedback(session, silent.id, feedback.CHECKED_IN)
        with pytest.raises(InvalidInput, match="Choose who gets the request"):
            feedback.request_feedback(session, silent.id, "the-whole-town")
    no_token = admin.post(f"/events/admin/events/{silent.id}/feedback/request", data={"audience": "everyone"})
    assert no_token.status_code == 400
    assert asked(sent_emails) == []
