"""The annual report (issue #17): a year known by construction across the services (annual_report_year), and
every figure compared in the page, the XLSX and the PDF; the newsletter's own figures on the API; who may ask."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader
from werkzeug.test import Client

from services.subscriptions.reports.operations.sections import cell_text
from tests.subscriptions.annual_report_year import EXPECTED, YEAR, build_year
from tests.web.conftest import log_in, make_user

PAGE = f"/newsletter/admin/reports/{YEAR}"
API = f"/newsletter/api/v1/reports/years/{YEAR}"
TABLE = re.compile(r'<table class="reflow report-table">\s*<caption>(.*?)</caption>(.*?)</table>', re.S)
ROW = re.compile(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


@pytest.fixture
def known_year(apps: dict[str, Flask], client: Client, admin_headers: Any) -> dict[str, int]:
    return build_year(apps, client, admin_headers("organizer"))


@pytest.fixture
def workspace(client: Client, apps: dict[str, Flask]) -> Client:
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    return client


def page_tables(text: str) -> dict[str, dict[str, list[str]]]:
    """{caption: {row label: [cell texts]}} of the report page."""
    tables: dict[str, dict[str, list[str]]] = {}
    for caption, body in TABLE.findall(text):
        rows = tables.setdefault(html.unescape(caption), {})
        for label, cells in ROW.findall(body):
            rows[html.unescape(label)] = [html.unescape(cell) for cell in CELL.findall(cells)]
    return tables


def workbook_tables(content: bytes) -> dict[str, dict[str, list[Any]]]:
    """{table title: {row label: [values]}} of every sheet: a table starts at a bold row after a blank one."""
    book = load_workbook(io.BytesIO(content))
    tables: dict[str, dict[str, list[Any]]] = {}
    for sheet in book.worksheets:
        current: dict[str, list[Any]] | None = None
        for row in sheet.iter_rows():
            values = [cell.value for cell in row]
            if not any(value is not None for value in values):
                current = None
            elif current is None or row[0].font.bold:
                current = tables.setdefault(str(values[0]), {})
            else:
                current[str(values[0])] = [value for value in values[1:] if value is not None]
    return tables


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[ \t\u00a0]+", " ", text)


def test_every_figure_in_the_page_the_workbook_and_the_pdf(known_year: dict[str, int], workspace: Client) -> None:
    english = {"Accept-Language": "en"}
    page = workspace.get(PAGE, headers=english)
    assert page.status_code == 200, page.get_data(as_text=True)
    shown = page_tables(page.get_data(as_text=True))
    workbook = workspace.get(f"{PAGE}.xlsx", headers=english)
    assert workbook.status_code == 200
    assert workbook.mimetype.endswith("spreadsheetml.sheet")
    sheets = workbook_tables(workbook.data)
    document = workspace.get(f"{PAGE}.pdf", headers=english)
    assert document.status_code == 200
    assert document.mimetype == "application/pdf"
    text = pdf_text(document.data)
    for caption, rows in EXPECTED.items():
        assert caption in shown, caption
        assert shown[caption] == {label: [cell_text(value, "en") for value in values]
                                  for label, values in rows.items()}, caption
        assert sheets[caption] == {label: [_stored(value) for value in values] for label, values in rows.items()}, \
            caption
        for label, values in rows.items():
            line = " ".join([label, *(cell_text(value, "en") for value in values)])
            assert line in text, f"{caption}: {line!r} not in the PDF"


def _stored(value: Any) -> Any:
    """How the workbook gives a value back: a date cell is a datetime at midnight."""
    return dt.datetime.combine(value, dt.time()) if isinstance(value, dt.date) else value


def test_the_themes_come_first_and_the_page_speaks_finnish_and_swedish(known_year: dict[str, int],
                                                                       workspace: Client) -> None:
    finnish = workspace.get(PAGE, headers={"Accept-Language": "fi"}).get_data(as_text=True)
    finnish = finnish[finnish.index("<h1"):]
    assert finnish.index("Strategiset teemat") < finnish.index("Tapahtumat") < finnish.index("Uutiskirje")
    tables = page_tables(finnish)
    themes = next(rows for rows in tables.values() if "Digitaalisesti" in rows)
    assert themes["Digitaalisesti"] == ["1", "2", "1", "2"]
    assert ["50,0"] in tables["Ilmoittautumiset ja osallistuminen"].values()
    assert 'class="chart-svg"' in finnish
    assert "<details" in finnish
    swedish = workspace.get(PAGE, headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Digitalt" in swedish
    assert "Årsrapport" in swedish
    text = pdf_text(workspace.get(f"{PAGE}.pdf", headers={"Accept-Language": "fi"}).data)
    for words in ("Pohjois-Pohjanmaa", "Ålands landskapsregering", "Yhteistyöryhmän kokous 0",
                  "Saavutettavasti ja asiakaslähtöisesti", "Etäosallistujien osuus (%) 50,0"):
        assert words in text, words


def test_the_api_answers_the_composed_report_and_the_newsletter_figures(known_year: dict[str, int], client: Client,
                                                                        admin_headers: Any) -> None:
    coordinator = admin_headers("coordinator")
    answer = client.get(API, headers=coordinator)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.get_json()
    assert report["finalised"] is False
    assert report["year"] == YEAR
    assert report["events"]["registrations"]["remote_share"] == 0.5
    subscribers = report["newsletter"]["subscribers"]
    assert (subscribers["subscribers_at_start"], subscribers["subscribers_at_end"]) == (2, 5)
    assert subscribers["left_by_reason"] == {"unsubscribe": 2, "bounce": 1, "complaint": 0, "erase": 0}
    assert [month["joined"] for month in subscribers["by_month"]] == [2, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert [survey["title"]["en"] for survey in report["surveys"]] == ["Network survey"]
    newsletter = client.get(f"{API}/newsletter", headers=coordinator).get_json()
    assert newsletter == {key: report["newsletter"][key] for key in newsletter}
    assert (newsletter["issues_sent"], newsletter["recipients"]) == (2, 7)
    assert newsletter["articles"]["published_by_theme"]["quality"] == 1
    other = client.get(f"/newsletter/api/v1/reports/years/{YEAR - 1}/newsletter", headers=coordinator).get_json()
    assert (other["issues_sent"], other["subscribers"]["subscribers_at_end"]) == (1, 2)


@pytest.mark.parametrize("path", [API, f"{API}/newsletter"])
def test_only_a_coordinator_may_ask(apps: dict[str, Flask], client: Client, admin_headers: Any, path: str) -> None:
    assert client.get(path).status_code == 401
    for role in ("organizer", "editor"):
        answer = client.get(path, headers=admin_headers(role))
        assert answer.status_code == 403
        assert answer.mimetype == "application/problem+json"
    assert client.post(f"{API}/finalise", headers=admin_headers("organizer")).status_code == 403
    assert client.post(f"{API}/finalise").status_code == 401


def test_the_workspace_pages_are_for_coordinators(apps: dict[str, Flask], client: Client) -> None:
    assert log_in(client, "/newsletter", make_user("toimittaja@example.fi", "editor")).status_code == 302
    for path in (PAGE, f"{PAGE}.xlsx", f"{PAGE}.pdf"):
        assert client.get(path).status_code == 403


def test_years_outside_the_range_are_not_found(apps: dict[str, Flask], workspace: Client, client: Client,
                                               admin_headers: Any) -> None:
    assert workspace.get("/newsletter/admin/reports/1999").status_code == 404
    assert workspace.get(f"/newsletter/admin/reports/{YEAR + 3}.pdf").status_code == 404
    answer = client.get(f"/newsletter/api/v1/reports/years/{YEAR + 3}", headers=admin_headers("coordinator"))
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert workspace.get("/newsletter/admin/reports").headers["Location"].endswith(f"/reports/{YEAR}")
    empty = workspace.get(f"/newsletter/admin/reports/{YEAR - 5}", headers={"Accept-Language": "en"})
    assert empty.status_code == 200
    assert "Nothing in the year." in empty.get_data(as_text=True)
    assert "No survey in the year." in empty.get_data(as_text=True)


def test_no_cell_of_the_workbook_is_a_formula(apps: dict[str, Flask]) -> None:
    from services.subscriptions.reports.operations.sections import Section, Table
    from services.subscriptions.reports.xlsx import workbook

    with apps["subscriptions"].test_request_context(headers={"Accept-Language": "fi"}):
        content = workbook(YEAR, [Section("participants", "Osallistujat", [
            Table("Osallistujat organisaatioittain", ["Organisaatio", "Osallistujat"],
                  [["=HYPERLINK(\"http://x\")", 2], ["+358 Oy", 1.5]])])], "Ajantasaiset luvut")
    sheet = load_workbook(io.BytesIO(content))["Osallistujat"]
    cells = {cell.coordinate: cell for row in sheet.iter_rows() for cell in row}
    assert cells["A2"].value == "=HYPERLINK(\"http://x\")"
    assert cells["A2"].data_type == "s"
    assert (cells["B2"].value, cells["B3"].value) == (2, 1.5)  # numbers stay numbers
