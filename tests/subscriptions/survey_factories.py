"""Helpers of the survey tests: a coordinator's workspace client, a survey built through the builder or the
use-case, and its invitations' answer links."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.test import Client

from services.subscriptions.models import db
from services.subscriptions.surveys.links import answer_url
from services.subscriptions.surveys.models import Survey, SurveyInvitation
from services.subscriptions.surveys.operations import building, members, sending
from services.subscriptions.surveys.operations.audience import AudienceSpec, Person
from services.subscriptions.surveys.schemas import draft_from_form
from tests.web.conftest import csrf_from

ADMIN = "/newsletter/admin/surveys"
EN = {"Accept-Language": "en"}
TITLE = {"fi": "Vuosikysely", "sv": "Årlig enkät", "en": "Yearly survey"}


def builder_form(csrf: str, year: int, /, **changes: str) -> dict[str, str]:
    """A valid builder form: a rating, one choice, several choices and a free-text question in fi/sv/en."""
    form = {"csrf_token": csrf, "questions": "4", "year": str(year), "action": "save",
            **{f"title_{lang}": text for lang, text in TITLE.items()},
            "q-0-kind": "rating", "q-0-text_fi": "Kuinka hyödyllistä?", "q-0-text_sv": "Hur nyttigt?",
            "q-0-text_en": "How useful?",
            "q-1-kind": "single", "q-1-text_fi": "Miten osallistuit?", "q-1-text_sv": "Hur deltog du?",
            "q-1-text_en": "How did you take part?", "q-1-options_fi": "Paikan päällä\nEtänä",
            "q-1-options_sv": "På plats\nPå distans", "q-1-options_en": "On site\nRemotely",
            "q-2-kind": "multiple", "q-2-text_fi": "Tärkeät teemat", "q-2-text_sv": "Viktiga teman",
            "q-2-text_en": "Important themes", "q-2-options_fi": "Digitaalinen\nSaavutettava\nLaadukas",
            "q-2-options_sv": "Digitalt\nTillgängligt\nKvalitet", "q-2-options_en": "Digital\nAccessible\nQuality",
            "q-3-kind": "text", "q-3-text_fi": "Mitä toisin?", "q-3-text_sv": "Vad annorlunda?",
            "q-3-text_en": "What differently?"}
    form.update(changes)
    return form


def build_through_page(workspace: Client, year: int) -> int:
    page = workspace.get(f"{ADMIN}/new", headers=EN)
    answer = workspace.post(f"{ADMIN}/new", data=builder_form(csrf_from(page), year), headers=EN)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    found = re.search(r"/surveys/(\d+)$", answer.headers["Location"])
    assert found
    return int(found.group(1))


def make_survey(app: Flask, year: int) -> int:
    """The same survey through the use-case (a draft)."""
    with app.test_request_context(), db.transaction() as session:
        draft = draft_from_form(MultiDict(builder_form("", year)))
        return building.save(session, None, draft).id


def send_to(app: Flask, survey_id: int, people: list[tuple[str, str]]) -> dict[str, str]:
    """Send the survey to (address, language) pairs; their answer links by address."""
    with app.test_request_context(), db.transaction() as session:
        sending.send(session, survey_id, AudienceSpec(group=True),
                     [Person(address, None, language) for address, language in people])
    return answer_links(app, survey_id)


def answer_links(app: Flask, survey_id: int) -> dict[str, str]:
    with app.test_request_context(), db.transaction() as session:
        return {invitation.email: _local(answer_url(invitation))
                for invitation in session.scalars(select(SurveyInvitation)
                                                  .where(SurveyInvitation.survey_id == survey_id))}


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def add_members(app: Flask, *lines: str) -> None:
    with app.test_request_context(), db.transaction() as session:
        read, bad = members.parse_lines("\n".join(lines))
        assert not bad
        members.add_members(session, read)


def question_ids(survey_id: int) -> list[int]:
    with db.transaction() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return [question.id for question in survey.questions]


def answers(survey_id: int, rating: str = "4", single: str = "1", multiple: tuple[str, ...] = ("0", "2"),
            text: str = "Enemmän koulutuksia") -> dict[str, Any]:
    ids = question_ids(survey_id)
    return {f"q{ids[0]}": rating, f"q{ids[1]}": single, f"q{ids[2]}": list(multiple), f"q{ids[3]}": text}
