"""Sending a survey (choose the audience, then confirm "Send the survey to N people?"), reminding those who
have not answered (the count first) and closing (what closing erases first). Each change is a second POST
with `confirm=yes`."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import TOPICS
from services.subscriptions.surveys.models import GroupMember, Survey, SurveyStatus
from services.subscriptions.surveys.operations import audience, sending
from services.subscriptions.surveys.workspace.builder import title_of
from shared.errors import DomainError, ServiceUnavailable


def topic_labels() -> dict[str, str]:
    return {"newsletter": _("Newsletter"), "events": _("Events"), "trainings": _("Trainings")}


def _audience_form(survey: Survey, spec: audience.AudienceSpec, errors: dict[str, list[str]]) -> str:
    members = db.session().scalar(select(func.count()).select_from(GroupMember)) or 0
    return render_template("admin/surveys/send.html", survey=survey, title=title_of(survey), spec=spec,
                           errors=errors, members=members, topics=[(t, topic_labels()[t]) for t in TOPICS])


def _not_a_draft(survey: Survey) -> Any:
    flash(_("This survey has been sent already."), "error")
    return redirect(url_for(".survey", survey_id=survey.id))


def send_page(survey_id: int) -> Any:
    session = db.session()
    survey = sending.survey_of(session, survey_id)
    if survey.status is not SurveyStatus.DRAFT:
        return _not_a_draft(survey)
    if request.method != "POST":
        return _audience_form(survey, audience.AudienceSpec(group=True), {})
    try:
        spec = audience.spec_from(request.form.to_dict())
    except DomainError:
        return _audience_form(survey, audience.AudienceSpec(), {"topic": [_("Choose a topic from the list.")]}), 422
    if spec.empty:
        return _audience_form(survey, spec, {"audience": [_("Choose who gets the survey.")]}), 422
    if not survey.questions:
        flash(_("Add at least one question."), "error")
        return redirect(url_for(".survey_edit", survey_id=survey.id))
    return _count_and_send(survey, spec)


def _count_and_send(survey: Survey, spec: audience.AudienceSpec) -> Any:
    """The confirmation with the count, or (with `confirm=yes`) the sending itself."""
    session, survey_id, year = db.session(), survey.id, survey.year
    session.rollback()  # the events service may take its time: no transaction stays open meanwhile
    try:
        participants = audience.event_participants(year) if spec.events else []
    except ServiceUnavailable:
        survey = sending.survey_of(session, survey_id)
        return _audience_form(survey, spec, {"events": [_("The events service did not answer. Try again soon.")]})
    people = audience.people(session, spec, participants)
    survey = sending.survey_of(session, survey_id)
    if not people:
        errors = {"audience": [_("Nobody would get the survey. Choose another group.")]}
        return _audience_form(survey, spec, errors), 422
    if request.form.get("confirm") != "yes":
        return render_template("admin/surveys/send_confirm.html", survey=survey, title=title_of(survey), spec=spec,
                               count=len(people), topics=topic_labels())
    try:
        sending.send(session, survey.id, spec, people)
    except DomainError:
        session.rollback()
        return _not_a_draft(sending.survey_of(session, survey_id))
    session.commit()
    flash(_("The survey was sent to %(count)s people.", count=len(people)), "success")
    return redirect(url_for(".survey", survey_id=survey_id))


def remind_page(survey_id: int) -> Any:
    session = db.session()
    survey = sending.survey_of(session, survey_id)
    waiting = sending.not_answered(session, survey.id)
    if survey.status is not SurveyStatus.OPEN or not waiting:
        flash(_("There is nobody to remind."), "error")
        return redirect(url_for(".survey", survey_id=survey.id))
    if request.form.get("confirm") != "yes":
        return render_template("admin/surveys/remind_confirm.html", survey=survey, title=title_of(survey),
                               count=waiting, round=survey.reminder_round + 1)
    round_number = request.form.get("round", "")
    reminded = sending.remind(session, survey.id, int(round_number)) if round_number.isdigit() else 0
    session.commit()
    if reminded:
        flash(_("A reminder was sent to %(count)s people.", count=reminded), "success")
    else:
        flash(_("This reminder was sent already."), "error")
    return redirect(url_for(".survey", survey_id=survey.id))


def close_page(survey_id: int) -> Any:
    session = db.session()
    survey = sending.survey_of(session, survey_id)
    if survey.status is not SurveyStatus.OPEN:
        flash(_("Only an open survey can be closed."), "error")
        return redirect(url_for(".survey", survey_id=survey.id))
    if request.form.get("confirm") != "yes":
        return render_template("admin/surveys/close_confirm.html", survey=survey, title=title_of(survey))
    sending.close(session, survey.id)
    session.commit()
    flash(_("The survey is closed."), "success")
    return redirect(url_for(".survey", survey_id=survey.id))
