"""Finalising the annual report (issue #17): the figures are stored as they were and no later change shows in
the page, the XLSX, the PDF or the API, while a year not finalised follows the data."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from services.events.models import Registration
from services.events.models import db as events_db
from services.subscriptions.models import db
from services.subscriptions.reports.models import AnnualReport
from services.subscriptions.subscribers.models import ConsentAction
from tests.subscriptions.annual_report_year import YEAR, add_issue, build_year, consent, helsinki
from tests.subscriptions.test_annual_report import API, PAGE, page_tables, pdf_text, workbook_tables
from tests.web.conftest import csrf_from, log_in, make_user


@pytest.fixture
def known_year(apps: dict[str, Flask], client: Client, admin_headers: Any) -> dict[str, int]:
    return build_year(apps, client, admin_headers("organizer"))


def _newsletter(client: Client, headers: dict[str, str]) -> tuple[int, int]:
    report = client.get(API, headers=headers).get_json()
    return report["newsletter"]["issues_sent"], report["newsletter"]["subscribers"]["subscribers_at_end"]


def _later_changes(apps: dict[str, Flask], registration_id: int) -> None:
    """An issue and a subscriber more in the year, and one arrival less at the seminar."""
    add_issue("Myöhästynyt numero", helsinki(YEAR, 12, 1), 5)
    consent("h-late", ConsentAction.CONFIRM, helsinki(YEAR, 6, 1))
    with apps["events"].app_context(), events_db.transaction() as session:
        session.get_one(Registration, registration_id).checked_in = False


def test_a_finalised_year_does_not_change_when_the_data_does(known_year: dict[str, int], apps: dict[str, Flask],
                                                             client: Client, admin_headers: Any) -> None:
    coordinator = admin_headers("coordinator")
    assert _newsletter(client, coordinator) == (2, 5)
    add_issue("Lisänumero", helsinki(YEAR, 11, 1), 1)
    assert _newsletter(client, coordinator) == (3, 5)  # not finalised: the report follows the data

    answer = client.post(f"{API}/finalise", headers=coordinator)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    finalised = answer.get_json()
    assert finalised["finalised"] is True
    assert finalised["finalised_by"] == "API (coordinator)"
    _later_changes(apps, known_year["cecilia"])

    again = client.get(API, headers=coordinator).get_json()
    assert again == finalised
    assert again["events"]["registrations"]["attended"] == 3
    assert _newsletter(client, coordinator) == (3, 5)
    live = client.get(f"/events/api/v1/reports/years/{YEAR}", headers=coordinator).get_json()
    assert live["registrations"]["attended"] == 2  # the events service's own figure did change

    repeated = client.post(f"{API}/finalise", headers=coordinator)
    assert repeated.status_code == 409
    assert repeated.mimetype == "application/problem+json"
    with db.transaction() as session:
        assert session.query(AnnualReport).count() == 1


def test_the_workspace_finalises_after_a_confirmation_and_shows_the_stored_figures(
        known_year: dict[str, int], apps: dict[str, Flask], client: Client) -> None:
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    english = {"Accept-Language": "en"}
    page = client.get(PAGE, headers=english)
    assert "Live figures" in page.get_data(as_text=True)
    assert "Finalise the year" in page.get_data(as_text=True)
    assert client.get(f"{PAGE}/finalise").status_code == 405  # a link changes nothing

    asked = client.post(f"{PAGE}/finalise", data={"csrf_token": csrf_from(page)}, headers=english)
    assert asked.status_code == 200
    assert "The figures are stored as they are now and will not change." in asked.get_data(as_text=True)
    with db.transaction() as session:
        assert session.query(AnnualReport).count() == 0  # asking stored nothing

    done = client.post(f"{PAGE}/finalise", data={"csrf_token": csrf_from(asked), "confirm": "yes"}, headers=english)
    assert done.status_code == 302
    _later_changes(apps, known_year["cecilia"])

    text = client.get(PAGE, headers=english).get_data(as_text=True)
    assert "Finalised on" in text
    assert "Finalise the year</button>" not in text
    tables = page_tables(text)
    assert tables["Registrations and attendance"]["Attended (checked in)"] == ["3"]
    assert tables["The newsletter in the year"]["Issues sent"] == ["2"]
    assert tables["Growth by month"]["June"] == ["1", "0", "6"]
    sheets = workbook_tables(client.get(f"{PAGE}.xlsx", headers=english).data)
    assert sheets["The newsletter in the year"]["Subscribers on 31 December"] == [5]
    assert sheets["Registrations and attendance"]["Attended (checked in)"] == [3]
    document = pdf_text(client.get(f"{PAGE}.pdf", headers=english).data)
    assert "Finalised on" in document
    assert "Issues sent 2" in document
    assert "Attended (checked in) 3" in document

    finnish = client.get(PAGE, headers={"Accept-Language": "fi"}).get_data(as_text=True)
    assert "Vahvistettu" in finnish


def test_the_year_before_stays_live_and_the_current_year_cannot_be_finalised(
        known_year: dict[str, int], client: Client, admin_headers: Any) -> None:
    coordinator = admin_headers("coordinator")
    assert client.post(f"{API}/finalise", headers=coordinator).status_code == 200
    earlier = client.get(f"/newsletter/api/v1/reports/years/{YEAR - 1}", headers=coordinator).get_json()
    assert earlier["finalised"] is False
    assert earlier["newsletter"]["issues_sent"] == 1
    current = client.post(f"/newsletter/api/v1/reports/years/{YEAR + 1}/finalise", headers=coordinator)
    assert current.status_code == 409
    assert "not over" in current.get_json()["detail"]


def test_a_year_is_not_finalised_without_the_events_figures(apps: dict[str, Flask], client: Client,
                                                            admin_headers: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from services.subscriptions.reports.operations import compose

    monkeypatch.setattr(compose, "events_year", lambda year: None)
    coordinator = admin_headers("coordinator")
    live = client.get(API, headers=coordinator)
    assert live.status_code == 200
    assert live.get_json()["events"] is None
    refused = client.post(f"{API}/finalise", headers=coordinator)
    assert refused.status_code == 409
    with db.transaction() as session:
        assert session.query(AnnualReport).count() == 0
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    page = client.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The events service did not answer" in page
