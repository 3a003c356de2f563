"""The workspace's exports for people: XLSX beside CSV, headers and values in the page's language, times
in Helsinki, text never a formula; the feedback summary's average with a decimal comma in fi and sv."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from services.events.models import Registration, db
from services.events.operations import feedback
from shared.spreadsheet import XLSX_MIMETYPE, readable_cell
from tests.events.exports import read_export
from tests.events.factories import make_event, register
from tests.web.conftest import log_in, make_user

HYPERLINK = '=HYPERLINK("http://evil.example";"Klikkaa")'
FINNISH = {"Accept-Language": "fi"}
SWEDISH = {"Accept-Language": "sv"}


@pytest.fixture
def organiser(client):
    assert log_in(client, "/events", make_user("jarjestaja@example.fi", "organizer")).status_code == 302
    return client


@pytest.fixture
def event(events_app):
    made = make_event(events_app, starts_at="2030-06-01T09:00:00+00:00", ends_at="2030-06-01T12:00:00+00:00")
    person = register(events_app, made.id, "anna@example.fi", participation="remote", language="sv")
    with events_app.app_context(), db.transaction() as session:
        row = session.get_one(Registration, person.id)
        row.name = HYPERLINK
        row.created_at = dt.datetime(2030, 1, 15, 10, 30, tzinfo=dt.UTC)  # 12.30 in Helsinki
    return made


def _sheet(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    return sheet


def test_the_registrations_workbook_speaks_finnish_and_swedish(organiser, event):
    for headers, expected in ((FINNISH, ("Tila", "Nimi", "Paikka varattu", "Etänä", "ruotsi", "Ilmoittautumisaika")),
                              (SWEDISH, ("Status", "Namn", "Har en plats", "På distans", "svenska", "Anmälningstid"))):
        sheet = _sheet(organiser.get(f"/events/admin/events/{event.id}/registrations.xlsx", headers=headers))
        header = [cell.value for cell in sheet[1]]
        row = dict(zip(header, list(sheet[2]), strict=True))
        status, name, seat, remote, swedish, registered = expected
        assert (header[0], header[2]) == (status, name)
        assert row[status].value == seat  # words, not codes
        assert remote in [cell.value for cell in sheet[2]]
        assert swedish in [cell.value for cell in sheet[2]]
        assert "confirmed" not in [cell.value for cell in sheet[2]]
        assert row[registered].value == dt.datetime(2030, 1, 15, 12, 30)  # noqa: DTZ001 -- Helsinki wall clock, as Excel holds it
        assert row[registered].number_format == "d.m.yyyy h:mm"
        assert (row[name].value, row[name].data_type) == (HYPERLINK, "s")  # text, never a formula


def test_the_registrations_csv_for_people_is_in_finnish_with_semicolons(organiser, event):
    rows = read_export(organiser.get(f"/events/admin/events/{event.id}/registrations.csv", headers=FINNISH))
    [row] = rows
    assert (row["Tila"], row["Osallistuu"], row["Kieli"]) == ("Paikka varattu", "Etänä", "ruotsi")
    assert row["Ilmoittautumisaika"] == "15.1.2030 klo 12.30"
    assert row["Nimi"] == "'" + HYPERLINK


def test_the_feedback_exports_and_the_average_use_the_decimal_comma(organiser, events_app):
    made = make_event(events_app)
    people = [register(events_app, made.id, f"p{n}@example.fi") for n in range(5)]
    with events_app.app_context(), db.transaction() as session:
        for person, rating in zip(people, (5, 4, 4, 4, 4), strict=True):
            feedback.submit_feedback(session, session.merge(person), {"overall": str(rating), "comments": HYPERLINK})
    finnish = organiser.get(f"/events/admin/events/{made.id}/feedback", headers=FINNISH).get_data(as_text=True)
    assert "4,2" in finnish
    assert "4.2" not in finnish
    assert "4.2" in organiser.get(f"/events/admin/events/{made.id}/feedback",
                                  headers={"Accept-Language": "en"}).get_data(as_text=True)
    sheet = _sheet(organiser.get(f"/events/admin/events/{made.id}/feedback.xlsx", headers=FINNISH))
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "Vastauksen numero"
    assert "overall" not in header  # the questions' texts, not their keys
    assert [sheet.cell(row=r, column=2).value for r in range(2, 7)] == [5, 4, 4, 4, 4]  # numbers
    texts = [cell for cell in sheet[2] if cell.value == HYPERLINK]
    assert texts
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula anywhere
    raw = organiser.get(f"/events/admin/events/{made.id}/feedback.csv", headers=FINNISH).get_data(as_text=True)
    assert raw.splitlines()[0].startswith("\ufeffVastauksen numero;")
    assert (readable_cell(4.2, "fi"), readable_cell(4.2, "sv"), readable_cell(4.2, "en")) == ("4,2", "4,2", "4.2")
