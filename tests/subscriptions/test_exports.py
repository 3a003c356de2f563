"""The workspace's subscriber downloads for people: XLSX beside CSV, headers and values in the page's
language, times in Helsinki, text never a formula; the API's export keeps the import's columns."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import Subscriber
from shared.spreadsheet import XLSX_MIMETYPE
from tests.subscriptions.conftest import make_subscriber
from tests.web.conftest import log_in, make_user

HYPERLINK = '=HYPERLINK("http://evil.example";"Klikkaa")'


def _subscriber() -> None:
    make_subscriber("bo@example.fi", name=HYPERLINK, language="sv", topics=("newsletter", "events"))
    with db.transaction() as session:
        row = session.scalars(select(Subscriber)).one()
        row.created_at = dt.datetime(2026, 7, 1, 6, 5, tzinfo=dt.UTC)  # 9.05 in Helsinki (summer time)


def test_the_workbook_and_the_csv_speak_the_coordinator_s_language(apps, client):
    _subscriber()
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    for language, expected in (("fi", ("Sähköpostiosoite", "Kieli", "ruotsi", "Vahvistettu", "Uutiskirje", "Lisätty")),
                               ("sv", ("E-postadress", "Språk", "svenska", "Bekräftad", "Nyhetsbrev", "Tillagd"))):
        response = client.get("/newsletter/admin/subscribers/export.xlsx", headers={"Accept-Language": language})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.mimetype == XLSX_MIMETYPE
        sheet = load_workbook(io.BytesIO(response.get_data())).active
        header = [cell.value for cell in sheet[1]]
        row = dict(zip(header, sheet[2], strict=True))
        email, language_column, swedish, confirmed, newsletter, added = expected
        assert header[0] == email
        assert row[language_column].value == swedish  # words, not codes
        assert confirmed in [cell.value for cell in sheet[2]]
        assert newsletter in str([cell.value for cell in sheet[2]])
        assert row[added].value == dt.datetime(2026, 7, 1, 9, 5)  # noqa: DTZ001 -- Helsinki wall clock, as Excel holds it
        assert row[added].number_format == "d.m.yyyy h:mm"
        assert [c.value for c in sheet[2] if c.value == HYPERLINK]
        assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
        assert sheet.freeze_panes == "A2"

    text = client.get("/newsletter/admin/subscribers/export.csv", headers={"Accept-Language": "fi"}).get_data(
        as_text=True)
    head, line = text.splitlines()[:2]
    assert head.startswith("\ufeffSähköpostiosoite;Nimi;")
    assert "1.7.2026 klo 9.05" in line
    assert "'" + HYPERLINK.replace('"', '""') in line
    assert ";ruotsi;" in line


def test_the_api_export_keeps_the_import_s_columns(apps, client, admin_headers):
    _subscriber()
    text = client.get("/newsletter/api/v1/subscribers/export.csv",
                      headers=admin_headers("coordinator")).get_data(as_text=True)
    assert text.splitlines()[0] == "\ufeffemail;name;organisation;language;topics;consent_at;status;created_at;" \
                                   "unsubscribed_at"
