"""Demo content of the surveys part: the cooperation group's roster (the member organisations of seed 000,
invented people with example.fi addresses), a closed 2025 yearly survey with anonymous answers, and a
2026 draft."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from services.subscriptions.surveys.operations.members import MemberLine, add_members

ORGANISATIONS = (  # seed 000: the member organisations of Pohjois-Pohjanmaa's cooperation group
    "Ammattiopisto Luovi", "Haapaveden opisto", "Jokilaaksojen koulutuskuntayhtymä JEDU",
    "Koillis-Suomen Aikuiskoulutus", "Maaseudun Sivistysliitto", "Oulun Aikuiskoulutuskeskus Oy",
    "Oulun ammattikorkeakoulu", "Oulun ammattikorkeakoulun opiskelijakunta OSAKO", "Oulun Kauppakamari",
    "Oulun kaupunki / Byström nuorten palvelut", "Oulun kaupunki / lukiot", "Oulun läänin opinto-ohjaajat ry",
    "Oulun seudun ammattiopisto", "Oulun yliopisto", "Pohjois-Pohjanmaan liitto", "Pohjois-Pohjanmaan TE-toimisto",
    "Pohjois-Pohjanmaan Yrittäjät", "Raahen koulutuskuntayhtymä", "Suomen Ammattiliittojen Keskusjärjestö SAK",
)
FIRST = ("Aino", "Eero", "Helmi", "Juha", "Kaisa", "Lauri", "Minna", "Olli", "Pirjo", "Sami", "Tiina", "Ville",
         "Elsa", "Mikael", "Saara", "Timo", "Anna", "Johan", "Leena")
LAST = ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Heikkinen", "Koskinen", "Järvinen", "Lehtonen",
        "Saarinen", "Salo", "Laine", "Hämäläinen", "Lindqvist", "Karjalainen", "Ahonen", "Rantanen", "Berg",
        "Kallio", "Turunen")
SWEDISH_SPEAKERS = {"Elsa", "Mikael", "Johan"}

QUESTIONS: tuple[tuple[str, dict[str, str], dict[str, list[str]]], ...] = (
    ("rating", {"fi": "Kuinka hyödyllistä yhteistyöryhmän työ oli organisaatiollesi vuonna 2025?",
                "sv": "Hur nyttigt var samarbetsgruppens arbete för din organisation år 2025?",
                "en": "How useful was the cooperation group's work for your organisation in 2025?"}, {}),
    ("rating", {"fi": "Miten hyvin tiedonkulku toimi kokousten välillä?",
                "sv": "Hur bra fungerade informationen mellan mötena?",
                "en": "How well did information flow between meetings?"}, {}),
    ("single", {"fi": "Miten osallistuit kokouksiin useimmiten?", "sv": "Hur deltog du oftast i mötena?",
                "en": "How did you usually take part in the meetings?"},
     {"fi": ["Paikan päällä", "Etänä", "Molemmin tavoin"], "sv": ["På plats", "På distans", "På båda sätten"],
      "en": ["On site", "Remotely", "Both"]}),
    ("multiple", {"fi": "Mitkä teemat ovat tärkeimpiä vuonna 2026?", "sv": "Vilka teman är viktigast år 2026?",
                  "en": "Which themes matter most in 2026?"},
     {"fi": ["Digitaalinen ohjaus", "Saavutettavuus", "Maahanmuuttajien ohjaus", "Työelämäyhteistyö"],
      "sv": ["Digital vägledning", "Tillgänglighet", "Vägledning av invandrare", "Samarbete med arbetslivet"],
      "en": ["Digital guidance", "Accessibility", "Guidance for immigrants", "Working-life cooperation"]}),
    ("text", {"fi": "Mitä yhteistyöryhmän pitäisi tehdä toisin?", "sv": "Vad borde samarbetsgruppen göra annorlunda?",
              "en": "What should the cooperation group do differently?"}, {}),
)
FREE_TEXTS = ("Enemmän yhteisiä koulutuksia ohjaajille.", "Kokousmateriaalit aiemmin etukäteen.",
              "Fler möten på svenska skulle vara bra.", "Työpajoja digitaalisesta ohjauksesta.",
              "Hyvä näin, kiitos koordinaattorille!", "Nuorten ääni paremmin mukaan.")
RESPONSES = 20


def seed(session: Session) -> None:
    if session.scalar(select(Survey.id).limit(1)) is not None:
        return
    add_members(session, [
        MemberLine(f"{first} {last}", f"{first.lower()}.{_plain(last)}@example.fi", organisation,
                   "sv" if first in SWEDISH_SPEAKERS else "fi")
        for first, last, organisation in zip(FIRST, LAST, ORGANISATIONS, strict=False)])
    _closed_2025(session)
    session.add(Survey(title={"fi": "ELO-yhteistyöryhmän vuosikysely 2026", "sv": "ELO-gruppens årliga enkät 2026",
                              "en": "The ELO cooperation group's yearly survey 2026"},
                       intro={}, year=2026, status=SurveyStatus.DRAFT,
                       questions=[SurveyQuestion(position=1, kind=QuestionKind.RATING, text=dict(QUESTIONS[0][1]),
                                                 options={})]))
    session.flush()


def _plain(name: str) -> str:
    return name.lower().replace("ä", "a").replace("ö", "o").replace("å", "a")


def _closed_2025(session: Session) -> None:
    picker = random.Random(2025)  # noqa: S311 - demo answers, not security
    survey = Survey(title={"fi": "ELO-yhteistyöryhmän vuosikysely 2025", "sv": "ELO-gruppens årliga enkät 2025",
                           "en": "The ELO cooperation group's yearly survey 2025"},
                    intro={"fi": "Arvioi yhteistyöryhmän työtä vuonna 2025. Vastaukset ovat nimettömiä.",
                           "sv": "Bedöm samarbetsgruppens arbete år 2025. Svaren är anonyma.",
                           "en": "Rate the cooperation group's work in 2025. The answers are anonymous."},
                    year=2025, status=SurveyStatus.CLOSED, audience={"group": True, "topic": None, "events": False},
                    invited=27, answered=RESPONSES, opened_at=dt.datetime(2025, 11, 3, 8, tzinfo=dt.UTC),
                    closed_at=dt.datetime(2025, 11, 28, 14, tzinfo=dt.UTC),
                    questions=[SurveyQuestion(position=n, kind=QuestionKind(kind), text=dict(text),
                                              options=dict(options))
                               for n, (kind, text, options) in enumerate(QUESTIONS, start=1)])
    session.add(survey)
    session.flush()
    for number in range(RESPONSES):
        response = SurveyResponse(survey_id=survey.id, submitted_on=dt.date(2025, 11, 4 + number % 20))
        for question in survey.questions:
            value = _value(picker, question.kind, number)
            if value is not None:
                response.answers.append(SurveyAnswer(question_id=question.id, value=value))
        session.add(response)
    session.flush()


def _value(picker: random.Random, kind: str, number: int) -> object:
    if kind == "rating":
        return picker.choice((3, 4, 4, 4, 5, 5, 2))
    if kind == "single":
        return picker.choice((0, 1, 1, 2))
    if kind == "multiple":
        return sorted(picker.sample(range(4), picker.randint(1, 3)))
    return FREE_TEXTS[number % len(FREE_TEXTS)] if number % 3 == 0 else None
