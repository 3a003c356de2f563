"""The organiser's exports (API and workspace): shared.csvfile's form, and no cell a spreadsheet would run."""

from __future__ import annotations

import pytest

from services.events.models import FeedbackResponse, Registration, db
from services.events.operations import feedback
from shared.csvfile import FORMULA_STARTS
from tests.events.exports import read_export
from tests.events.factories import make_event, register
from tests.web.conftest import log_in, make_user

QUESTIONS = [{"key": "wish", "type": "text", "label": {"fi": "Toive"}},
             {"key": "lunch", "type": "yes-no", "label": {"fi": "Lounas"}}]
# A value for every exported text field, each starting with a character a spreadsheet acts on.
DANGEROUS = {"name": "=HYPERLINK(\"http://evil.example\";\"Klikkaa\")", "email": "+358401234567@example.fi",
             "organisation": "-2+3", "language": "@x", "dietary_needs": "\tkasvis",
             "accessibility_needs": "\r=1+1"}
DANGEROUS_ANSWER = "=cmd|' /C calc'!A0"
DANGEROUS_FEEDBACK = "@SUM(A1:A9)"


@pytest.fixture
def stored_dangerously(events_app):
    """An event with one registration and one feedback answer whose stored texts all look like formulas
    (as an older import or a direct database edit could leave them)."""
    event = make_event(events_app, questions=QUESTIONS)
    person = register(events_app, event.id, "aino@example.fi", answers={"wish": "kahvia", "lunch": "yes"})
    with events_app.app_context(), db.transaction() as session:
        row = session.get(Registration, person.id)
        feedback.submit_feedback(session, row, {"overall": "5", "comments": "Hyvä"})
        for name, value in DANGEROUS.items():
            setattr(row, name, value)
        row.answers = {"wish": DANGEROUS_ANSWER, "lunch": True}
        for response in session.query(FeedbackResponse):
            response.texts = {"comments": DANGEROUS_FEEDBACK}
    return event


def _assert_neutralised(row: dict[str, str], expected: dict[str, str]) -> None:
    for column, value in expected.items():
        assert row[column] == "'" + value, column
    assert not any(cell.startswith(FORMULA_STARTS) for cell in row.values())


def test_the_registrations_export_neutralises_formulas_in_every_field(client, stored_dangerously, admin_headers):
    event = stored_dangerously
    [row] = read_export(client.get(f"/events/api/v1/events/{event.id}/registrations.csv",
                                   headers=admin_headers("organizer")))
    _assert_neutralised(row, {**DANGEROUS, "wish": DANGEROUS_ANSWER})
    assert (row["status"], row["queue_position"], row["lunch"], row["checked_in"]) == ("confirmed", "", "yes", "no")


def test_the_feedback_export_neutralises_formulas(client, stored_dangerously, admin_headers):
    event = stored_dangerously
    [row] = read_export(client.get(f"/events/api/v1/events/{event.id}/feedback.csv",
                                   headers=admin_headers("organizer")))
    _assert_neutralised(row, {"comments": DANGEROUS_FEEDBACK})
    assert (row["response"], row["overall"], row["useful"]) == ("1", "5", "")


def test_the_workspace_downloads_have_the_same_rows_for_people(client, stored_dangerously, admin_headers):
    event = stored_dangerously
    assert log_in(client, "/events", make_user("organiser@example.fi", "organizer")).status_code == 302
    headers = admin_headers("organizer")
    for name, api_name in (("registrations", "registrations"), ("feedback", "feedback")):
        page = client.get(f"/events/admin/events/{event.id}/{name}.csv")
        assert page.headers["Content-Disposition"] == f'attachment; filename="{event.slug}-{name}.csv"'
        api = client.get(f"/events/api/v1/events/{event.id}/{api_name}.csv", headers=headers)
        # the same rows; the workspace's file is for people (its headers and words in the page's language)
        assert len(read_export(page)) == len(read_export(api)) == 1
        assert list(read_export(page)[0]) != list(read_export(api)[0])
