"""The survey list, a survey's page, the builder (new / edit a draft) and the preview."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from services.subscriptions.models import db
from services.subscriptions.surveys.models import SURVEY_LANGUAGES, Survey, SurveyStatus, in_language
from services.subscriptions.surveys.operations import building
from services.subscriptions.surveys.operations.results import rate
from services.subscriptions.surveys.operations.sending import answered_count, not_answered, survey_of
from services.subscriptions.surveys.schemas import draft_errors, draft_from_form
from shared.formatting import format_number
from shared.web import current_language


def primary() -> str:
    return str(current_app.config["PRIMARY_LANGUAGE"])


def title_of(survey: Survey) -> str:
    return in_language(survey.title, current_language(), primary())


def status_labels() -> dict[str, str]:
    return {"draft": _("Draft"), "open": _("Open"), "closed": _("Closed")}


def kind_labels() -> dict[str, str]:
    return {"rating": _("Rating 1 to 5"), "single": _("One choice"), "multiple": _("Several choices"),
            "text": _("Free text")}


def figures(survey: Survey) -> dict[str, Any]:
    """Invited, answered and the response rate in per cent (live while open)."""
    answered = answered_count(db.session(), survey)
    return {"invited": survey.invited, "answered": answered,
            "percent": format_number(100 * rate(survey.invited, answered), current_language(), 1)}


def surveys_page() -> str:
    surveys = list(db.session().scalars(select(Survey).order_by(Survey.year.desc(), Survey.id.desc())))
    rows = [{"survey": survey, "title": title_of(survey), **figures(survey)} for survey in surveys]
    return render_template("admin/surveys/surveys.html", rows=rows, statuses=status_labels())


def survey_page(survey_id: int) -> str:
    survey = survey_of(db.session(), survey_id)
    waiting = not_answered(db.session(), survey.id) if survey.status is SurveyStatus.OPEN else 0
    return render_template("admin/surveys/survey.html", survey=survey, title=title_of(survey),
                           statuses=status_labels(), kinds=kind_labels(), figures=figures(survey), waiting=waiting,
                           in_language=in_language, primary=primary())


def _builder(draft: building.SurveyDraft, survey: Survey | None, errors: dict[str, list[str]]) -> str:
    return render_template("admin/surveys/builder.html", draft=draft, survey=survey, errors=errors,
                           kinds=kind_labels(), languages=SURVEY_LANGUAGES, primary=primary())


def new_page() -> Any:
    return _edit(None)


def edit_page(survey_id: int) -> Any:
    survey = survey_of(db.session(), survey_id)
    if survey.status is not SurveyStatus.DRAFT:
        flash(_("A survey that has been sent cannot be changed."), "error")
        return redirect(url_for(".survey", survey_id=survey.id))
    return _edit(survey)


def _edit(survey: Survey | None) -> Any:
    if request.method != "POST":
        return _builder(building.draft_of(survey) if survey else building.new_draft(), survey, {})
    draft = draft_from_form(request.form)
    action = request.form.get("action", "save")
    if action != "save":
        building.apply_action(draft, action)
        return _builder(draft, survey, {})
    errors = draft_errors(draft, primary())
    if errors:
        return _builder(draft, survey, errors), 422
    session = db.session()
    saved = building.save(session, survey.id if survey else None, draft)
    session.commit()
    flash(_("The survey is saved."), "success")
    return redirect(url_for(".survey", survey_id=saved.id))


def preview_page(survey_id: int) -> str:
    survey = survey_of(db.session(), survey_id)
    asked = request.args.get("in", "")
    language = asked if asked in SURVEY_LANGUAGES else primary()
    questions = [{"id": q.id, "kind": q.kind, "text": in_language(q.text, language, primary()),
                  "options": list(enumerate(q.option_labels(language, primary())))} for q in survey.questions]
    names = {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}
    missing = [str(names[code]) for code in SURVEY_LANGUAGES
               if not survey.title.get(code) or any(not q.text.get(code) for q in survey.questions)]
    return render_template("admin/surveys/preview.html", survey=survey, title=title_of(survey), shown=language,
                           survey_title=in_language(survey.title, language, primary()),
                           intro=in_language(survey.intro, language, primary()), questions=questions,
                           missing=missing, languages=SURVEY_LANGUAGES)
