"""The yearly survey (issue #17, point 1), the coordinator's side: the builder (questions in fi/sv/en, add,
move, remove; bad input shown next to its field and nothing stored), the roster of the cooperation group,
and the audience (a union of members, a topic's subscribers and this year's event participants, one person
per address, suppressed addresses left out), counted and confirmed before anything is sent."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import Suppression, SuppressionReason
from services.subscriptions.surveys.models import GroupMember, Survey, SurveyInvitation, SurveyStatus
from shared.contract import SEND_EMAIL
from shared.db import utcnow
from shared.formatting import HELSINKI
from shared.models import OutboxMessage
from shared.privacy import email_hash
from tests.conftest import TEST_SECRET_KEY
from tests.events.factories import make_event, register
from tests.subscriptions.conftest import make_subscriber
from tests.subscriptions.survey_factories import ADMIN, EN, add_members, build_through_page, builder_form
from tests.web.conftest import csrf_from, log_in, make_user

YEAR = utcnow().year + 1  # events of the year are still open for registration


@pytest.fixture
def workspace(client: Client, apps: dict[str, Flask]) -> Client:
    assert log_in(client, "/newsletter", make_user()).status_code == 302
    return client


def _survey_count() -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Survey)) or 0


def test_the_coordinator_writes_a_survey_with_questions_in_three_languages(workspace: Client) -> None:
    survey_id = build_through_page(workspace, YEAR)
    with db.transaction() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        assert (survey.title, survey.year, survey.status) == (
            {"fi": "Vuosikysely", "sv": "Årlig enkät", "en": "Yearly survey"}, YEAR, SurveyStatus.DRAFT)
        assert [q.kind for q in survey.questions] == ["rating", "single", "multiple", "text"]
        assert survey.questions[1].options == {"fi": ["Paikan päällä", "Etänä"], "sv": ["På plats", "På distans"],
                                               "en": ["On site", "Remotely"]}
        assert survey.questions[3].text == {"fi": "Mitä toisin?", "sv": "Vad annorlunda?", "en": "What differently?"}
    page = workspace.get(f"{ADMIN}/{survey_id}", headers=EN).get_data(as_text=True)
    assert "How did you take part?" in page
    assert "Remotely" in page
    preview = workspace.get(f"{ADMIN}/{survey_id}/preview?in=sv", headers=EN).get_data(as_text=True)
    assert "Hur deltog du?" in preview
    assert "På distans" in preview
    assert "<legend>" in preview
    assert "Yearly survey" in workspace.get(ADMIN, headers=EN).get_data(as_text=True)


def test_questions_are_added_moved_and_removed_on_the_page_and_stored_on_save(workspace: Client) -> None:
    page = workspace.get(f"{ADMIN}/new", headers=EN)
    csrf = csrf_from(page)
    added = workspace.post(f"{ADMIN}/new", data=builder_form(csrf, YEAR, action="add:single"), headers=EN)
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    assert 'name="questions" value="5"' in html
    assert 'name="q-4-kind"' in html
    moved = workspace.post(f"{ADMIN}/new", data=builder_form(csrf, YEAR, action="up:3"), headers=EN)
    html = moved.get_data(as_text=True)
    assert html.index("What differently?") < html.index("Important themes")
    removed = workspace.post(f"{ADMIN}/new", data=builder_form(csrf, YEAR, action="remove:0"), headers=EN)
    assert "How useful?" not in removed.get_data(as_text=True)
    assert _survey_count() == 0  # nothing is stored before Save


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title_fi": ""}, "title_fi", "Write the title."),
    ({"q-1-options_fi": "Vain yksi"}, "q-1-options_fi", "Write 2 to 20 options, one per line."),
    ({"q-1-options_sv": "På plats"}, "q-1-options_sv", "Write as many options as in the first language"),
    ({"q-0-text_fi": ""}, "q-0-text_fi", "Write the question."),
    ({"year": "20x6"}, "year", "Write the year as four digits"),
    ({"questions": "0"}, "questions", "Add at least one question."),
])
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
        workspace: Client, changes: dict[str, str], field: str, message: str) -> None:
    csrf = csrf_from(workspace.get(f"{ADMIN}/new", headers=EN))
    answer = workspace.post(f"{ADMIN}/new", data=builder_form(csrf, YEAR, **changes), headers=EN)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    if field != "questions":
        assert re.search(rf'id="f-{field}-error">{re.escape(message)}', html), html
    else:
        assert message in html
    assert _survey_count() == 0


def test_the_roster_takes_pasted_lines_one_member_and_removes_after_a_confirmation(workspace: Client) -> None:
    csrf = csrf_from(workspace.get(f"{ADMIN}/members", headers=EN))
    bad = workspace.post(f"{ADMIN}/members", data={"csrf_token": csrf, "form": "lines",
                                                   "lines": "Aino; aino@example.fi; Oulun yliopisto; fi\nrikki"},
                         headers=EN)
    assert bad.status_code == 422
    assert "These lines could not be read: 2. Nothing was added." in bad.get_data(as_text=True)
    lines = "Aino Virtanen; Aino@Example.fi; Oulun yliopisto; fi\nElsa Berg; elsa@example.fi; Luovi; sv"
    assert workspace.post(f"{ADMIN}/members", data={"csrf_token": csrf, "form": "lines", "lines": lines},
                          headers=EN).status_code == 302
    assert workspace.post(f"{ADMIN}/members", data={"csrf_token": csrf, "form": "one", "name": "Juha Salo",
                                                    "email": "juha@example.fi", "organisation": "", "language": "en"},
                          headers=EN).status_code == 302
    with db.transaction() as session:
        roster = {m.email: (m.name, m.language) for m in session.scalars(select(GroupMember))}
        elsa = session.scalar(select(GroupMember.id).where(GroupMember.email == "elsa@example.fi"))
    assert roster == {"aino@example.fi": ("Aino Virtanen", "fi"), "elsa@example.fi": ("Elsa Berg", "sv"),
                      "juha@example.fi": ("Juha Salo", "en")}
    asked = workspace.post(f"{ADMIN}/members/{elsa}/remove", data={"csrf_token": csrf}, headers=EN)
    assert "Remove Elsa Berg (Luovi) from the cooperation group?" in asked.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(GroupMember)) == 3
    workspace.post(f"{ADMIN}/members/{elsa}/remove", data={"csrf_token": csrf, "confirm": "yes"}, headers=EN)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(GroupMember)) == 2


def test_the_audience_is_a_union_one_person_per_address_counted_before_sending(
        workspace: Client, apps: dict[str, Flask]) -> None:
    import datetime as dt

    app = apps["subscriptions"]
    add_members(app, "Aino Virtanen; aino@example.fi; Oulun yliopisto; fi", "Elsa Berg; elsa@example.fi; Luovi; sv",
                "Poistettu; gone@example.fi; Luovi; fi")
    make_subscriber("AINO@example.fi", language="en", topics=("newsletter",))  # the member's address once more
    make_subscriber("lukija@example.fi", language="fi", topics=("newsletter",))
    make_subscriber("odottaa@example.fi", status="pending", topics=("newsletter",))  # not confirmed: left out
    make_subscriber("tapahtumat@example.fi", topics=("events",))  # another topic: left out
    with db.transaction() as session:
        session.add(Suppression(email_hash=email_hash(TEST_SECRET_KEY, "gone@example.fi"),
                                reason=SuppressionReason.BOUNCED))
    events_app = apps["events"]
    start = dt.datetime(YEAR, 3, 3, 9, tzinfo=HELSINKI)
    seminar = make_event(events_app, starts_at=start.isoformat(), ends_at=(start + dt.timedelta(hours=3)).isoformat())
    register(events_app, seminar.id, "elsa@example.fi", language="sv", sector="education")
    register(events_app, seminar.id, "osallistuja@example.fi", language="sv", name="Osa Llistuja",
             sector="education")
    survey_id = build_through_page(workspace, YEAR)

    csrf = csrf_from(workspace.get(f"{ADMIN}/{survey_id}/send", headers=EN))
    nobody = workspace.post(f"{ADMIN}/{survey_id}/send", data={"csrf_token": csrf}, headers=EN)
    assert nobody.status_code == 422
    assert 'id="f-audience-error">Choose who gets the survey.' in nobody.get_data(as_text=True)
    chosen = {"csrf_token": csrf, "group": "1", "topic": "newsletter", "events": "1"}
    asked = workspace.post(f"{ADMIN}/{survey_id}/send", data=chosen, headers=EN)
    assert "Send the survey to 4 people?" in asked.get_data(as_text=True)
    with db.transaction() as session:  # asking sends nothing
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.actor_name == SEND_EMAIL.actor)) == 0
    sent = workspace.post(f"{ADMIN}/{survey_id}/send", data={**chosen, "confirm": "yes"}, headers=EN)
    assert sent.status_code == 302
    with db.transaction() as session:
        invited = {i.email: i.language for i in session.scalars(select(SurveyInvitation))}
        survey = session.get(Survey, survey_id)
        assert survey is not None
        assert (survey.status, survey.invited) == (SurveyStatus.OPEN, 4)
    assert invited == {"aino@example.fi": "fi", "elsa@example.fi": "sv", "lukija@example.fi": "fi",
                       "osallistuja@example.fi": "sv"}
    again = workspace.post(f"{ADMIN}/{survey_id}/send", data={**chosen, "confirm": "yes"}, headers=EN)
    assert again.status_code == 302  # a second POST sends nothing more
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 4
    assert workspace.get(f"{ADMIN}/{survey_id}/edit", headers=EN).status_code == 302  # a sent survey stays


def test_the_demo_has_a_closed_2025_survey_with_anonymous_answers_a_2026_draft_and_can_run_twice(
        apps: dict[str, Flask]) -> None:
    from services.subscriptions.surveys import demo
    from services.subscriptions.surveys.operations.results import results_for_year

    with apps["subscriptions"].test_request_context():
        for _twice in range(2):
            with db.transaction() as session:
                demo.seed(session)
        with db.transaction() as session:
            surveys = {s.year: s for s in session.scalars(select(Survey))}
            assert sorted(surveys) == [2025, 2026]
            assert surveys[2026].status is SurveyStatus.DRAFT
            assert surveys[2025].title["fi"] == "ELO-yhteistyöryhmän vuosikysely 2025"
            assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 0
            assert session.scalar(select(func.count()).select_from(GroupMember)) == len(demo.FIRST)
            [closed] = results_for_year(session, 2025)
    assert (closed["status"], closed["invited"], closed["answered"], len(closed["questions"])) == ("closed", 27, 20, 5)
    assert 1 <= closed["questions"][0]["average"] <= 5


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_survey_page_opens_in_each_language(workspace: Client, apps: dict[str, Flask], language: str) -> None:
    from services.subscriptions.surveys import demo

    with apps["subscriptions"].test_request_context(), db.transaction() as session:
        demo.seed(session)
        closed, draft = (s.id for s in session.scalars(select(Survey).order_by(Survey.year)))
        unfinished = session.get_one(Survey, draft)  # a text missing in one language: the preview says so
        unfinished.title = {key: text for key, text in unfinished.title.items() if key != "en"}
    pages = [ADMIN, f"{ADMIN}/new", f"{ADMIN}/members", f"{ADMIN}/{closed}", f"{ADMIN}/{closed}/results",
             f"{ADMIN}/{draft}", f"{ADMIN}/{draft}/edit", f"{ADMIN}/{draft}/preview?in=en", f"{ADMIN}/{draft}/send"]
    for path in pages:
        answer = workspace.get(path + ("&" if "?" in path else "?") + f"lang={language}")
        assert answer.status_code == 200, path
        assert f'<html lang="{language}">' in answer.get_data(as_text=True)
    closed_page = workspace.get(f"{ADMIN}/{closed}/results", query_string={"lang": language}).get_data(as_text=True)
    title = {"fi": "ELO-yhteistyöryhmän vuosikysely 2025", "sv": "ELO-gruppens årliga enkät 2025",
             "en": "The ELO cooperation group's yearly survey 2025"}[language]
    assert title.replace("'", "&#39;") in closed_page
    assert closed_page.count("<figure") == 4
    preview = workspace.get(f"{ADMIN}/{draft}/preview?in=en&lang=en").get_data(as_text=True)
    assert "Some texts are missing in: English." in preview
