"""A survey's figures: the response rate, each question's counts, averages and free-text answers, the
anonymous XLSX rows, and the year's surveys for the annual report (`results_for_year`).

Nothing here names a person: responses hold no invitation and only the day they came.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.subscriptions.surveys.models import (
    RATING_SCALE,
    SURVEY_LANGUAGES,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    in_language,
)
from services.subscriptions.surveys.operations.sending import answered_count


@dataclass
class QuestionFigures:
    question: SurveyQuestion
    counts: Counter[int] = field(default_factory=Counter)  # rating value or option index → answers
    answers: int = 0  # responses that answered this question
    rating_total: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        if self.question.kind != "rating" or not self.answers:
            return None
        return round(self.rating_total / self.answers, 2)


def rate(invited: int, answered: int) -> float:
    """Share of the invited who answered, 0-1."""
    return round(answered / invited, 4) if invited else 0.0


def question_figures(session: Session, survey: Survey) -> list[QuestionFigures]:
    figures = {question.id: QuestionFigures(question) for question in survey.questions}
    answers = session.scalars(select(SurveyAnswer).join(SurveyResponse)
                              .where(SurveyResponse.survey_id == survey.id).order_by(SurveyAnswer.id))
    for answer in answers:
        figure = figures.get(answer.question_id)
        if figure is None:
            continue
        figure.answers += 1
        value, kind = answer.value, figure.question.kind
        if kind == "rating" and isinstance(value, int):
            figure.counts[value] += 1
            figure.rating_total += value
        elif kind == "single" and isinstance(value, int):
            figure.counts[value] += 1
        elif kind == "multiple" and isinstance(value, list):
            figure.counts.update(index for index in value if isinstance(index, int))
        elif kind == "text" and isinstance(value, str):
            figure.texts.append(value)
    return list(figures.values())


def option_rows(figure: QuestionFigures, language: str, primary: str) -> list[tuple[str, int]]:
    """(label, count) for the question's chart: the scale 1-5 for a rating, the options for a choice."""
    if figure.question.kind == "rating":
        return [(str(value), figure.counts[value]) for value in RATING_SCALE]
    labels = figure.question.option_labels(language, primary)
    return [(label, figure.counts[index]) for index, label in enumerate(labels)]


def results_for_year(session: Session, year: int) -> list[dict[str, Any]]:
    """Every sent survey of `year` (open or closed), oldest first, for the annual report:
    {id, title {fi,sv,en}, status, invited, answered, response_rate (0-1), questions: [{text {fi,sv,en}, kind,
    average (rating, else None), options [{label {fi,sv,en}, count}] (single/multiple, else []),
    text_answers (text, else 0)}]}."""
    surveys = session.scalars(select(Survey).options(selectinload(Survey.questions))
                              .where(Survey.year == year, Survey.status != SurveyStatus.DRAFT).order_by(Survey.id))
    found = []
    for survey in surveys:
        answered = answered_count(session, survey)
        questions = []
        for figure in question_figures(session, survey):
            question = figure.question
            options = []
            if question.kind in ("single", "multiple"):
                labels = {language: question.option_labels(language) for language in SURVEY_LANGUAGES}
                options = [{"label": {language: labels[language][index] for language in SURVEY_LANGUAGES},
                            "count": figure.counts[index]} for index in range(len(labels["fi"]))]
            questions.append({"text": _three(question.text), "kind": question.kind, "average": figure.average,
                              "options": options, "text_answers": len(figure.texts) if question.kind == "text" else 0})
        found.append({"id": survey.id, "title": _three(survey.title), "status": survey.status.value,
                      "invited": survey.invited, "answered": answered,
                      "response_rate": rate(survey.invited, answered), "questions": questions})
    return found


def _three(values: dict[str, Any]) -> dict[str, str]:
    return {language: in_language(values, language) for language in SURVEY_LANGUAGES}


def export_table(session: Session, survey: Survey, language: str, primary: str,
                 headings: tuple[str, str]) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of the anonymous export: one row per response (number, day), one column per question."""
    header = [headings[0], headings[1], *(in_language(q.text, language, primary) for q in survey.questions)]
    labels = {q.id: q.option_labels(language, primary) for q in survey.questions}
    responses = session.scalars(select(SurveyResponse).options(selectinload(SurveyResponse.answers))
                                .where(SurveyResponse.survey_id == survey.id).order_by(SurveyResponse.id))
    rows = []
    for number, response in enumerate(responses, start=1):
        values = {answer.question_id: answer.value for answer in response.answers}
        rows.append([number, response.submitted_on,
                     *(_cell(q, values.get(q.id), labels[q.id]) for q in survey.questions)])
    return header, rows


def _cell(question: SurveyQuestion, value: Any, labels: list[str]) -> Any:
    if value is None:
        return None
    if question.kind == "single" and isinstance(value, int):
        return labels[value] if 0 <= value < len(labels) else None
    if question.kind == "multiple" and isinstance(value, list):
        return "; ".join(labels[index] for index in value if isinstance(index, int) and 0 <= index < len(labels))
    return value
