"""The yearly survey (issue #17, point 1), the invitee's side and the results: a personal single-use link
in the invitee's language (the mail through the real mailer to a real SMTP server), link scanners change
nothing, bad answers change nothing, reminders reach only those who have not answered, closing erases every
link between people and answers, and the results (rate, charts with tables, XLSX, the annual report's
figures) name nobody."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.subscribers import privacy
from services.subscriptions.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from services.subscriptions.surveys.operations.results import results_for_year
from shared.settings import Settings, load_settings
from tests.conftest import TEST_SECRET_KEY, Backend, SmtpSink
from tests.subscriptions.conftest import subscription_outbox
from tests.subscriptions.survey_factories import ADMIN, EN, answers, make_survey, send_to
from tests.web.conftest import csrf_from, log_in, make_user

YEAR = 2026
RATING_MESSAGE = "Valitse luku 1\N{EN DASH}5."


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


@pytest.fixture
def workspace(client: Client, apps: dict[str, Flask]) -> Client:
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    return client


@pytest.fixture
def app(apps: dict[str, Flask]) -> Flask:
    return apps["subscriptions"]


def _counts() -> tuple[int, int]:
    with db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(SurveyResponse)) or 0,
                session.scalar(select(func.count()).select_from(SurveyAnswer)) or 0)


def _answered(address: str) -> bool:
    with db.transaction() as session:
        return bool(session.scalar(select(SurveyInvitation.answered).where(SurveyInvitation.email == address)))


def test_each_person_gets_a_personal_link_in_their_language_and_answers_once(
        client: Client, app: Flask, smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    survey_id = make_survey(app, YEAR)
    links = send_to(app, survey_id, [("aino@example.fi", "fi"), ("britta@example.fi", "sv")])
    drain()
    messages = smtp_sink.wait_for(2)
    by_address = {str(message["To"]): message for message in messages}
    assert str(by_address["britta@example.fi"]["Subject"]) == "Enkät: Årlig enkät"
    assert str(by_address["aino@example.fi"]["Subject"]) == "Kysely: Vuosikysely"
    swedish = by_address["britta@example.fi"].get_body(("plain",))
    assert swedish is not None
    text = swedish.get_content()
    assert links["britta@example.fi"] in text
    assert "?lang=sv" in text
    assert "Svara på enkäten" in text

    page = client.get(links["britta@example.fi"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="sv"' in html
    assert "Hur deltog du?" in html
    assert "På distans" in html
    assert "<legend>" in html
    assert 'name="viewport"' in html  # the page is built for narrow screens too
    answer = client.post(links["britta@example.fi"], data=answers(survey_id))
    assert answer.status_code == 200
    assert "Tack för dina svar" in answer.get_data(as_text=True)
    again = client.post(links["britta@example.fi"], data=answers(survey_id, rating="1"))
    assert again.status_code == 200
    assert "Du har redan svarat" in again.get_data(as_text=True)
    assert _counts() == (1, 4)
    assert client.get(links["britta@example.fi"]).status_code == 200  # the link says it was used


def test_link_scanners_change_nothing(client: Client, app: Flask) -> None:
    survey_id = make_survey(app, YEAR)
    link = send_to(app, survey_id, [("aino@example.fi", "fi")])["aino@example.fi"]
    for method in ("GET", "HEAD", "OPTIONS"):
        assert client.open(link, method=method).status_code == 200
    assert _counts() == (0, 0)
    assert not _answered("aino@example.fi")
    assert client.get(link.replace("/answer/", "/answer/x")).status_code == 404


@pytest.mark.parametrize(("field", "value", "message"), [
    (0, "7", RATING_MESSAGE), (1, "9", "Valitse jokin annetuista vaihtoehdoista."),
    (2, ["0", "5"], "Valitse jokin annetuista vaihtoehdoista."), (0, "hyvä", RATING_MESSAGE),
])
def test_bad_answers_are_shown_next_to_the_question_and_nothing_is_stored(
        client: Client, app: Flask, field: int, value: object, message: str) -> None:
    survey_id = make_survey(app, YEAR)
    link = send_to(app, survey_id, [("aino@example.fi", "fi")])["aino@example.fi"]
    form = answers(survey_id)
    name = list(form)[field]
    form[name] = value
    answer = client.post(link, data=form)
    assert answer.status_code == 422
    assert re.search(rf'id="f-{name}-error">{re.escape(message)}', answer.get_data(as_text=True))
    assert _counts() == (0, 0)
    assert not _answered("aino@example.fi")


def test_reminders_go_only_to_those_who_have_not_answered_once_per_round(
        client: Client, workspace: Client, app: Flask) -> None:
    survey_id = make_survey(app, YEAR)
    links = send_to(app, survey_id, [("aino@example.fi", "fi"), ("bo@example.fi", "sv"), ("cay@example.fi", "en")])
    client.post(links["aino@example.fi"], data=answers(survey_id))
    page = workspace.get(f"{ADMIN}/{survey_id}?lang=en")  # the answer link chose Finnish for this browser
    assert "1 of 3 have answered (33.3 %)." in page.get_data(as_text=True)
    csrf = csrf_from(page)
    asked = workspace.post(f"{ADMIN}/{survey_id}/remind", data={"csrf_token": csrf}, headers=EN)
    assert "Remind 2 people who have not answered?" in asked.get_data(as_text=True)
    assert not [p for p in subscription_outbox() if p["template"] == "survey-reminder"]
    for _twice in range(2):  # a repeated POST of the same round reminds nobody again
        workspace.post(f"{ADMIN}/{survey_id}/remind", data={"csrf_token": csrf, "confirm": "yes", "round": "1"},
                       headers=EN)
    reminders = [p for p in subscription_outbox() if p["template"] == "survey-reminder"]
    assert sorted((p["recipient"]["email"], p["language"]) for p in reminders) == [
        ("bo@example.fi", "sv"), ("cay@example.fi", "en")]
    workspace.post(f"{ADMIN}/{survey_id}/remind", data={"csrf_token": csrf, "confirm": "yes", "round": "2"},
                   headers=EN)
    keys = [p["idempotency_key"] for p in subscription_outbox() if p["template"] == "survey-reminder"]
    assert len(keys) == len(set(keys)) == 4
    assert sum(":2:" in key for key in keys) == 2


def test_closing_erases_every_link_between_people_and_answers(client: Client, workspace: Client, app: Flask) -> None:
    survey_id = make_survey(app, YEAR)
    links = send_to(app, survey_id, [("aino@example.fi", "fi"), ("bo@example.fi", "sv")])
    client.post(links["aino@example.fi"], data=answers(survey_id))
    csrf = csrf_from(workspace.get(f"{ADMIN}/{survey_id}?lang=en"))
    asked = workspace.post(f"{ADMIN}/{survey_id}/close", data={"csrf_token": csrf}, headers=EN)
    assert ("After closing no one can answer and the link between people and answers is erased."
            in asked.get_data(as_text=True))
    assert workspace.post(f"{ADMIN}/{survey_id}/close", data={"csrf_token": csrf, "confirm": "yes"},
                          headers=EN).status_code == 302
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 0
        survey = session.get(Survey, survey_id)
        assert survey is not None
        assert (survey.status.value, survey.invited, survey.answered) == ("closed", 2, 1)
        columns = {table: {c["name"] for c in inspect(session.connection()).get_columns(table)}
                   for table in ("survey_responses", "survey_answers")}
    assert columns == {"survey_responses": {"id", "survey_id", "submitted_on"},
                       "survey_answers": {"id", "response_id", "question_id", "value"}}
    closed = client.get(links["bo@example.fi"])
    assert closed.status_code == 410
    assert "Enkäten är stängd" in closed.get_data(as_text=True)
    assert client.post(links["bo@example.fi"], data=answers(survey_id)).status_code == 410
    assert _counts() == (1, 4)


def test_results_rate_charts_xlsx_and_the_annual_report_figures(client: Client, workspace: Client, app: Flask) -> None:
    survey_id = make_survey(app, YEAR)
    links = send_to(app, survey_id, [(f"p{n}@example.fi", "fi") for n in range(4)])
    client.post(links["p0@example.fi"], data=answers(survey_id, rating="5", single="0", multiple=("0",),
                                                     text="=HYPERLINK(\"x\")"))
    client.post(links["p1@example.fi"], data=answers(survey_id, rating="2", single="1", multiple=("0", "2"), text=""))
    page = workspace.get(f"{ADMIN}/{survey_id}/results?lang=en").get_data(as_text=True)
    assert "2 of 4 have answered (50.0 %)." in page
    assert page.count('<svg class="chart-svg" role="img"') == 3
    assert "Show the numbers as a table" in page
    assert '<tr><th scope="row">Remotely</th><td>1</td></tr>' in page
    assert "=HYPERLINK" in page

    export = workspace.get(f"{ADMIN}/{survey_id}/results.xlsx", headers=EN)
    sheet = load_workbook(io.BytesIO(export.data)).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Response", "Date", "How useful?", "How did you take part?", "Important themes",
                       "What differently?"]
    assert [row[0] for row in rows[1:]] == [1, 2]
    assert rows[1][2:] == [5, "On site", "Digital", '=HYPERLINK("x")']
    assert rows[2][2:] == [2, "Remotely", "Digital; Quality", None]
    assert sheet["F2"].data_type == "s"  # text, never a formula
    assert not any("@" in str(value) for row in rows for value in row)

    with app.app_context(), db.transaction() as session:
        [figures] = results_for_year(session, YEAR)
    assert (figures["id"], figures["status"], figures["invited"], figures["answered"], figures["response_rate"]) == (
        survey_id, "open", 4, 2, 0.5)
    assert figures["title"] == {"fi": "Vuosikysely", "sv": "Årlig enkät", "en": "Yearly survey"}
    rating, single, multiple, text = figures["questions"]
    assert (rating["kind"], rating["average"], rating["options"]) == ("rating", 3.5, [])
    assert single["options"] == [{"label": {"fi": "Paikan päällä", "sv": "På plats", "en": "On site"}, "count": 1},
                                 {"label": {"fi": "Etänä", "sv": "På distans", "en": "Remotely"}, "count": 1}]
    assert [option["count"] for option in multiple["options"]] == [2, 0, 1]
    assert (text["kind"], text["text_answers"], text["average"]) == ("text", 1, None)
    with app.app_context(), db.transaction() as session:
        assert results_for_year(session, YEAR + 1) == []


def test_an_invitation_is_in_the_persons_export_and_erased_with_them(app: Flask) -> None:
    from shared.privacy import email_hash

    survey_id = make_survey(app, YEAR)
    send_to(app, survey_id, [("aino@example.fi", "fi")])
    address_hash = email_hash(TEST_SECRET_KEY, "aino@example.fi")
    with app.test_request_context(), db.transaction() as session:
        assert privacy.holds_here(session, address_hash)
        exported = privacy.export_here(session, address_hash)["surveys"]["survey_invitations"]
        assert [(i["email"], i["answered"], i["survey"]) for i in exported] == [
            ("aino@example.fi", False, "Vuosikysely")]
        privacy.erase_everywhere(session, address_hash)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 0


def test_the_api_gives_the_years_results_to_the_coordinator_only(
        client: Client, app: Flask, admin_headers: Callable[[str], dict[str, str]]) -> None:
    survey_id = make_survey(app, YEAR)
    links = send_to(app, survey_id, [("aino@example.fi", "fi")])
    client.post(links["aino@example.fi"], data=answers(survey_id))
    path = f"/newsletter/api/v1/surveys/years/{YEAR}/results"
    assert client.get(path).status_code == 401
    answer = client.get(path, headers=admin_headers("coordinator"))
    assert answer.status_code == 200
    [survey] = answer.get_json()
    assert (survey["id"], survey["invited"], survey["answered"], survey["response_rate"]) == (survey_id, 1, 1, 1.0)
    assert "aino" not in answer.get_data(as_text=True)
    assert client.get("/newsletter/api/v1/surveys/years/1999/results",
                      headers=admin_headers("coordinator")).get_json() == []
