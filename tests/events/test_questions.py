"""The organiser's questions editor in the workspace: registration and feedback questions added,
changed, moved and deleted with plain forms, checked with the API's own schemas."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from services.events.models import Event, db
from tests.events.factories import make_event
from tests.web.conftest import csrf_from, log_in, make_user

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def admin(apps: dict[str, Flask], client: Client) -> Client:
    """The test client, logged in to the events workspace as an organiser."""
    assert log_in(client, "/events", make_user("organizer@example.fi", "organizer")).status_code == 302
    return client


def questions(app: Flask, event_id: int, field: str = "questions") -> list[dict[str, Any]]:
    with app.app_context(), db.transaction() as session:
        return list(getattr(session.get_one(Event, event_id), field))


def post(admin: Client, path: str, **data: Any) -> Any:
    token = csrf_from(admin.get(f"/events/admin/events/{data.pop('event_id')}/questions", headers=ENGLISH))
    return admin.post(path, headers=ENGLISH, data={"csrf_token": token, **data})


def test_a_choice_question_is_added_in_three_languages_and_asked_in_the_registration_form(
        apps: dict[str, Flask], admin: Client, client: Client) -> None:
    event = make_event(apps["events"])
    base = f"/events/admin/events/{event.id}/questions"
    assert "Registration questions" in admin.get(base, headers=ENGLISH).get_data(as_text=True)
    saved = post(admin, f"{base}/registration/new", event_id=event.id, type="single", label_fi="Lounas",
                 label_sv="Lunch", options_fi="Liha\nKasvis", options_sv="Kött\nVegetariskt", required="1")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert saved.headers["Location"].endswith("#q-registration-lounas")
    [question] = questions(apps["events"], event.id)
    assert question["key"] == "lounas"
    assert question["required"] is True
    assert [o["value"] for o in question["options"]] == ["liha", "kasvis"]
    assert question["options"][1]["label"] == {"fi": "Kasvis", "sv": "Vegetariskt", "en": None}
    form = client.get(f"/events/{event.slug}?lang=sv").get_data(as_text=True)
    assert "Lunch" in form
    assert "Vegetariskt" in form
    assert 'name="answers.lounas"' in form


def test_editing_keeps_the_key_and_the_values_of_options_that_stay(
        apps: dict[str, Flask], admin: Client) -> None:
    event = make_event(apps["events"])
    base = f"/events/admin/events/{event.id}/questions/registration"
    post(admin, f"{base}/new", event_id=event.id, type="single", label_fi="Lounas", options_fi="Liha\nKasvis")
    edit_page = admin.get(f"{base}/lounas/edit", headers=ENGLISH).get_data(as_text=True)
    assert "Kasvis" in edit_page
    changed = post(admin, f"{base}/lounas/edit", event_id=event.id, type="multiple", label_fi="Ruokavalio",
                   options_fi="Kasvis\nVegaani\nLiha")
    assert changed.status_code == 302
    [question] = questions(apps["events"], event.id)
    assert question["key"] == "lounas"
    assert question["label"]["fi"] == "Ruokavalio"
    assert [o["value"] for o in question["options"]] == ["kasvis", "vegaani", "liha"]


def test_questions_move_up_and_down_and_are_deleted(apps: dict[str, Flask], admin: Client) -> None:
    event = make_event(apps["events"])
    base = f"/events/admin/events/{event.id}/questions/registration"
    for label in ("Yksi", "Kaksi", "Kolme"):
        assert post(admin, f"{base}/new", event_id=event.id, type="text", label_fi=label).status_code == 302
    assert post(admin, f"{base}/kolme/move", event_id=event.id, direction="up").status_code == 302
    assert [q["key"] for q in questions(apps["events"], event.id)] == ["yksi", "kolme", "kaksi"]
    post(admin, f"{base}/yksi/move", event_id=event.id, direction="up")  # already first: stays
    post(admin, f"{base}/yksi/move", event_id=event.id, direction="down")
    assert [q["key"] for q in questions(apps["events"], event.id)] == ["kolme", "yksi", "kaksi"]
    asked = post(admin, f"{base}/yksi/delete", event_id=event.id)
    assert "Delete «Yksi»?" in asked.get_data(as_text=True), "deleting asks first"
    assert [q["key"] for q in questions(apps["events"], event.id)] == ["kolme", "yksi", "kaksi"]
    assert post(admin, f"{base}/yksi/delete", event_id=event.id, confirm="yes").status_code == 302
    assert [q["key"] for q in questions(apps["events"], event.id)] == ["kolme", "kaksi"]
    page = admin.get(f"/events/admin/events/{event.id}/questions", headers=ENGLISH).get_data(as_text=True)
    assert page.index("Kolme") < page.index("Kaksi")
    assert "Move up" in page
    assert "Move down" in page


def test_a_bad_question_shows_errors_by_the_fields_and_changes_nothing(
        apps: dict[str, Flask], admin: Client) -> None:
    event = make_event(apps["events"])
    base = f"/events/admin/events/{event.id}/questions/registration"
    missing = post(admin, f"{base}/new", event_id=event.id, type="text", label_fi="")
    body = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert "<title>Error: " in body
    assert 'id="error-summary"' in body
    assert 'id="f-label_fi-error"' in body
    one_option = post(admin, f"{base}/new", event_id=event.id, type="single", label_fi="Lounas", options_fi="Liha")
    assert one_option.status_code == 422
    assert "A choice question needs at least two options." in one_option.get_data(as_text=True)
    assert 'id="f-options_fi-error"' in one_option.get_data(as_text=True)
    uneven = post(admin, f"{base}/new", event_id=event.id, type="single", label_fi="Lounas",
                  options_fi="Liha\nKasvis", options_sv="Kött")
    assert uneven.status_code == 422
    assert 'id="f-options_sv-error"' in uneven.get_data(as_text=True)
    finnish = admin.post(f"{base}/new", data={"csrf_token": csrf_from(uneven), "type": "nonsense", "label_fi": "X"},
                         headers={"Accept-Language": "fi"})
    assert finnish.status_code == 422
    assert "<title>Virhe: " in finnish.get_data(as_text=True)
    assert questions(apps["events"], event.id) == []
    assert admin.get(f"{base}/no-such-key/edit").status_code == 404
    assert admin.get(f"/events/admin/events/{event.id}/questions/nonsense/new").status_code == 404


def test_feedback_questions_are_edited_the_same_way_and_asked_in_the_feedback_form(
        apps: dict[str, Flask], admin: Client) -> None:
    event = make_event(apps["events"])
    defaults = [q["key"] for q in questions(apps["events"], event.id, "feedback_questions")]
    base = f"/events/admin/events/{event.id}/questions/feedback"
    added = post(admin, f"{base}/new", event_id=event.id, type="rating", label_fi="Tilat", label_en="The venue")
    assert added.status_code == 302
    post(admin, f"{base}/tilat/move", event_id=event.id, direction="up")
    keys = [q["key"] for q in questions(apps["events"], event.id, "feedback_questions")]
    assert keys == [*defaults[:-1], "tilat", defaults[-1]]
    post(admin, f"{base}/{defaults[0]}/delete", event_id=event.id, confirm="yes")
    assert defaults[0] not in [q["key"] for q in questions(apps["events"], event.id, "feedback_questions")]
    summary = admin.get(f"/events/admin/events/{event.id}/feedback", headers=ENGLISH).get_data(as_text=True)
    assert "The venue" in summary


def test_the_questions_of_a_cancelled_event_cannot_be_changed(
        apps: dict[str, Flask], admin: Client) -> None:
    from services.events.operations import events

    event = make_event(apps["events"])
    with apps["events"].app_context(), db.transaction() as session:
        events.cancel_event(session, event.id)
    refused = post(admin, f"/events/admin/events/{event.id}/questions/registration/new", event_id=event.id,
                   type="text", label_fi="Myöhässä")
    assert refused.status_code == 422
    assert "A cancelled event cannot be changed." in refused.get_data(as_text=True)
    assert questions(apps["events"], event.id) == []
