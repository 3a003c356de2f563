"""Drafts of a survey: what the builder form holds, its add / remove / move actions, and storing it.

A draft is edited as a whole: the page posts every field; an action (add a question, remove one, move
one up or down) shows the form again with the change, and Save stores the draft once it is valid
(`schemas.draft_errors`). Only a draft can be changed; a sent survey stays as it was sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from services.subscriptions.surveys.models import (
    QUESTION_KINDS,
    SURVEY_LANGUAGES,
    QuestionKind,
    Survey,
    SurveyQuestion,
    SurveyStatus,
)
from services.subscriptions.surveys.operations.sending import survey_of
from shared.errors import Conflict
from shared.formatting import HELSINKI

MAX_QUESTIONS = 40


def _blank() -> dict[str, str]:
    return dict.fromkeys(SURVEY_LANGUAGES, "")


@dataclass
class QuestionDraft:
    kind: str = "rating"
    text: dict[str, str] = field(default_factory=_blank)
    options: dict[str, list[str]] = field(default_factory=lambda: {language: [] for language in SURVEY_LANGUAGES})

    @property
    def has_options(self) -> bool:
        return self.kind in ("single", "multiple")

    def options_text(self, language: str) -> str:
        return "\n".join(self.options.get(language, []))


@dataclass
class SurveyDraft:
    title: dict[str, str] = field(default_factory=_blank)
    intro: dict[str, str] = field(default_factory=_blank)
    year: str = ""
    questions: list[QuestionDraft] = field(default_factory=list)


def this_year() -> int:
    return dt.datetime.now(HELSINKI).year


def new_draft() -> SurveyDraft:
    return SurveyDraft(year=str(this_year()), questions=[QuestionDraft()])


def draft_of(survey: Survey) -> SurveyDraft:
    return SurveyDraft(
        title={language: str(survey.title.get(language) or "") for language in SURVEY_LANGUAGES},
        intro={language: str(survey.intro.get(language) or "") for language in SURVEY_LANGUAGES},
        year=str(survey.year),
        questions=[QuestionDraft(kind=q.kind,
                                 text={language: str(q.text.get(language) or "") for language in SURVEY_LANGUAGES},
                                 options={language: [str(o) for o in q.options.get(language) or []]
                                          for language in SURVEY_LANGUAGES})
                   for q in survey.questions])


def apply_action(draft: SurveyDraft, action: str) -> bool:
    """`add:<kind>`, `remove:<n>`, `up:<n>`, `down:<n>`; False when the action is not one of these."""
    verb, _sep, argument = action.partition(":")
    questions = draft.questions
    if verb == "add" and argument in QUESTION_KINDS and len(questions) < MAX_QUESTIONS:
        questions.append(QuestionDraft(kind=argument))
        return True
    if not argument.isdigit() or int(argument) >= len(questions):
        return False
    index = int(argument)
    if verb == "remove":
        del questions[index]
    elif verb == "up" and index > 0:
        questions[index - 1], questions[index] = questions[index], questions[index - 1]
    elif verb == "down" and index + 1 < len(questions):
        questions[index + 1], questions[index] = questions[index], questions[index + 1]
    else:
        return False
    return True


def _options(question: QuestionDraft) -> dict[str, Any]:
    if not question.has_options:
        return {}
    return {language: list(question.options.get(language, [])) for language in SURVEY_LANGUAGES}


def save(session: Session, survey_id: int | None, draft: SurveyDraft) -> Survey:
    """Store a valid draft as a new survey, or over the questions of a draft survey."""
    if survey_id is None:
        survey = Survey(status=SurveyStatus.DRAFT)
        session.add(survey)
    else:
        survey = survey_of(session, survey_id, lock=True)
        if survey.status is not SurveyStatus.DRAFT:
            raise Conflict("A survey that has been sent cannot be changed.")
    survey.title, survey.intro, survey.year = dict(draft.title), dict(draft.intro), int(draft.year)
    survey.questions.clear()
    session.flush()
    survey.questions.extend(SurveyQuestion(position=position, kind=QuestionKind(q.kind), text=dict(q.text),
                                           options=_options(q))
                            for position, q in enumerate(draft.questions, start=1))
    session.flush()
    return survey
