"""Sending a survey, reminding those who have not answered, and closing it.

send     a draft with questions opens: one invitation (a random nonce) per person and one email each
remind   round n+1: one reminder to each invitation not answered; the round number in the email's key means
         nobody gets two reminders of one round, and a repeated POST of the same round does nothing
close    no one can answer any more; the invitations (addresses, and who answered) are deleted and only
         the counts stay on the survey, so no link between a person and an answer survives
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.subscriptions.surveys import emails
from services.subscriptions.surveys.models import (
    Survey,
    SurveyInvitation,
    SurveyResponse,
    SurveyStatus,
)
from services.subscriptions.surveys.operations.audience import AudienceSpec, Person
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.privacy import email_hash


def survey_of(session: Session, survey_id: int, *, lock: bool = False) -> Survey:
    survey = session.get(Survey, survey_id, with_for_update=lock)
    if survey is None:
        raise NotFound("There is no such survey.")
    return survey


def _primary() -> str:
    return str(current_app.config.get("PRIMARY_LANGUAGE", "fi"))


def send(session: Session, survey_id: int, spec: AudienceSpec, people: Sequence[Person]) -> Survey:
    """Open the draft and invite `people` (from `audience.people`)."""
    survey = survey_of(session, survey_id, lock=True)
    if survey.status is not SurveyStatus.DRAFT:
        raise Conflict("This survey has been sent already.")
    if not survey.questions:
        raise InvalidInput("The survey has no questions.", errors={"questions": ["Add at least one question."]})
    if not people:
        raise InvalidInput("Nobody would get the survey.", errors={"audience": ["Choose who gets the survey."]})
    secret = str(current_app.config["SECRET_KEY"])
    invitations = [SurveyInvitation(survey_id=survey.id, email=person.email,
                                    email_hash=email_hash(secret, person.email), name=person.name,
                                    language=person.language) for person in people]
    session.add_all(invitations)
    survey.status, survey.opened_at = SurveyStatus.OPEN, utcnow()
    survey.audience, survey.invited = spec.as_json(), len(invitations)
    session.flush()
    for invitation in invitations:
        emails.invitation(session, survey, invitation, _primary())
    return survey


def not_answered(session: Session, survey_id: int) -> int:
    return session.scalar(select(func.count()).select_from(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey_id, SurveyInvitation.answered.is_(False))) or 0


def response_count(session: Session, survey_id: int) -> int:
    return session.scalar(select(func.count()).select_from(SurveyResponse)
                          .where(SurveyResponse.survey_id == survey_id)) or 0


def remind(session: Session, survey_id: int, round_number: int) -> int:
    """Reminder round `round_number` (the next one); returns how many were reminded, 0 when that round was
    sent already (a repeated POST)."""
    survey = survey_of(session, survey_id, lock=True)
    if survey.status is not SurveyStatus.OPEN:
        raise Conflict("Only an open survey has reminders.")
    if round_number != survey.reminder_round + 1:
        return 0
    survey.reminder_round = round_number
    waiting = list(session.scalars(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.answered.is_(False),
        SurveyInvitation.reminded_round < round_number).order_by(SurveyInvitation.id)))
    now = utcnow()
    for invitation in waiting:
        invitation.reminded_round, invitation.reminded_at = round_number, now
        emails.reminder(session, survey, invitation, round_number, _primary())
    session.flush()
    return len(waiting)


def close(session: Session, survey_id: int) -> Survey:
    """No more answers; the invitations are deleted (the counts stay on the survey)."""
    survey = survey_of(session, survey_id, lock=True)
    if survey.status is not SurveyStatus.OPEN:
        raise Conflict("Only an open survey can be closed.")
    survey.answered = response_count(session, survey.id)
    survey.status, survey.closed_at = SurveyStatus.CLOSED, utcnow()
    session.execute(delete(SurveyInvitation).where(SurveyInvitation.survey_id == survey.id))
    session.flush()
    return survey


def answered_count(session: Session, survey: Survey) -> int:
    """Answers so far (live while open, the kept count once closed)."""
    return survey.answered if survey.status is SurveyStatus.CLOSED else response_count(session, survey.id)
