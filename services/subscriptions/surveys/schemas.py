"""The edges of the surveys part: the builder form read into a draft and checked, the answer form read and
checked, and the API's results schema. Messages are in the page's language, next to their field."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, fields
from werkzeug.datastructures import MultiDict

from services.subscriptions.surveys.models import QUESTION_KINDS, RATING_SCALE, SURVEY_LANGUAGES, SurveyQuestion
from services.subscriptions.surveys.operations.building import MAX_QUESTIONS, QuestionDraft, SurveyDraft

TITLE_MAX, INTRO_MAX, QUESTION_MAX, OPTION_MAX, MAX_OPTIONS, TEXT_ANSWER_MAX = 200, 2000, 500, 200, 20, 4000
YEARS = range(2000, 2101)

Errors = dict[str, list[str]]


def _text(form: MultiDict[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def draft_from_form(form: MultiDict[str, str]) -> SurveyDraft:
    """Every field of the builder form (questions `q-<n>-…`, in their order on the page)."""
    draft = SurveyDraft(title={language: _text(form, f"title_{language}") for language in SURVEY_LANGUAGES},
                        intro={language: _text(form, f"intro_{language}") for language in SURVEY_LANGUAGES},
                        year=_text(form, "year"))
    count = min(int(form["questions"]) if (form.get("questions") or "").isdigit() else 0, MAX_QUESTIONS)
    for index in range(count):
        prefix = f"q-{index}-"
        kind = _text(form, prefix + "kind")
        draft.questions.append(QuestionDraft(
            kind=kind if kind in QUESTION_KINDS else "text",
            text={language: _text(form, f"{prefix}text_{language}") for language in SURVEY_LANGUAGES},
            options={language: [line.strip() for line in (form.get(f"{prefix}options_{language}") or "").splitlines()
                                if line.strip()] for language in SURVEY_LANGUAGES}))
    return draft


def draft_errors(draft: SurveyDraft, primary: str) -> Errors:
    """What keeps the draft from being saved, by field; empty when it can be saved."""
    errors: Errors = {}
    if not draft.title.get(primary):
        errors[f"title_{primary}"] = [_("Write the title.")]
    for language in SURVEY_LANGUAGES:
        if len(draft.title[language]) > TITLE_MAX:
            errors[f"title_{language}"] = [_("At most %(count)s characters.", count=TITLE_MAX)]
        if len(draft.intro[language]) > INTRO_MAX:
            errors[f"intro_{language}"] = [_("At most %(count)s characters.", count=INTRO_MAX)]
    if not draft.year.isdigit() or int(draft.year) not in YEARS:
        errors["year"] = [_("Write the year as four digits, for example 2026.")]
    if not draft.questions:
        errors["questions"] = [_("Add at least one question.")]
    for index, question in enumerate(draft.questions):
        errors.update(_question_errors(index, question, primary))
    return errors


def _question_errors(index: int, question: QuestionDraft, primary: str) -> Errors:
    errors: Errors = {}
    prefix = f"q-{index}-"
    if not question.text.get(primary):
        errors[f"{prefix}text_{primary}"] = [_("Write the question.")]
    for language in SURVEY_LANGUAGES:
        if len(question.text[language]) > QUESTION_MAX:
            errors[f"{prefix}text_{language}"] = [_("At most %(count)s characters.", count=QUESTION_MAX)]
    if not question.has_options:
        return errors
    base = question.options.get(primary, [])
    if len(base) < 2 or len(base) > MAX_OPTIONS:
        errors[f"{prefix}options_{primary}"] = [_("Write 2 to %(count)s options, one per line.", count=MAX_OPTIONS)]
    for language in SURVEY_LANGUAGES:
        given = question.options.get(language, [])
        if language != primary and given and len(given) != len(base):
            errors[f"{prefix}options_{language}"] = [_("Write as many options as in the first language, "
                                                       "in the same order.")]
        elif any(len(option) > OPTION_MAX for option in given):
            errors[f"{prefix}options_{language}"] = [_("At most %(count)s characters.", count=OPTION_MAX)]
    return errors


def read_answers(questions: list[SurveyQuestion], form: MultiDict[str, str]) -> tuple[dict[int, Any], Errors]:
    """({question id: value}, errors by field `q<id>`): every question may be left unanswered, but a value
    given must be one the question offers."""
    values: dict[int, Any] = {}
    errors: Errors = {}
    for question in questions:
        name = f"q{question.id}"
        raw = [value.strip() for value in form.getlist(name) if value.strip()]
        option_count = len(question.option_labels("fi"))
        if question.kind == "text":
            text = raw[0] if raw else ""
            if len(text) > TEXT_ANSWER_MAX:
                errors[name] = [_("At most %(count)s characters.", count=TEXT_ANSWER_MAX)]
            values[question.id] = text or None
        elif question.kind == "multiple":
            if any(not value.isdigit() or int(value) >= option_count for value in raw):
                errors[name] = [_("Choose from the options shown.")]
            else:
                values[question.id] = sorted({int(value) for value in raw}) or None
        elif len(raw) > 1 or (raw and not _valid_choice(question, raw[0], option_count)):
            errors[name] = [_("Choose a number from 1 to 5.") if question.kind == "rating"
                            else _("Choose from the options shown.")]
        else:
            values[question.id] = int(raw[0]) if raw else None
    return values, errors


def _valid_choice(question: SurveyQuestion, value: str, option_count: int) -> bool:
    if not value.isdigit():
        return False
    return int(value) in RATING_SCALE if question.kind == "rating" else int(value) < option_count


class OptionResultSchema(Schema):
    label = fields.Dict(keys=fields.String(), values=fields.String())
    count = fields.Integer()


class QuestionResultSchema(Schema):
    text = fields.Dict(keys=fields.String(), values=fields.String())
    kind = fields.String(metadata={"description": "rating, single, multiple or text"})
    average = fields.Float(allow_none=True, metadata={"description": "rating questions: the average of 1 to 5"})
    options = fields.List(fields.Nested(OptionResultSchema))
    text_answers = fields.Integer(metadata={"description": "text questions: how many wrote an answer"})


class SurveyResultSchema(Schema):
    id = fields.Integer()
    title = fields.Dict(keys=fields.String(), values=fields.String())
    status = fields.String(metadata={"description": "open or closed"})
    invited = fields.Integer()
    answered = fields.Integer()
    response_rate = fields.Float(metadata={"description": "share of the invited who answered, 0 to 1"})
    questions = fields.List(fields.Nested(QuestionResultSchema))
