"""Answering a survey through the personal link: the link's invitation, and recording an answer once.

The invitation is locked while the answer is stored, so two POSTs of one link record one response; the
second finds the invitation answered. The response holds no invitation id and only the day it came.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.subscriptions.surveys.links import AnswerLink
from services.subscriptions.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
    SurveyStatus,
)
from shared.db import utcnow
from shared.formatting import HELSINKI


class SurveyClosed(Exception):
    """The survey of the link is closed (or no longer exists): nobody can answer."""


class LinkUnknown(Exception):
    """The link's invitation is not there (erased, or a link from another survey)."""


def invitation_of(session: Session, link: AnswerLink, *, lock: bool = False) -> tuple[Survey, SurveyInvitation]:
    survey = session.get(Survey, link.survey_id)
    if survey is None or survey.status is SurveyStatus.CLOSED:
        raise SurveyClosed
    invitation = session.get(SurveyInvitation, link.invitation_id, with_for_update=lock)
    if invitation is None or invitation.nonce != link.nonce or invitation.survey_id != survey.id:
        raise LinkUnknown
    if survey.status is not SurveyStatus.OPEN:
        raise SurveyClosed
    return survey, invitation


def record(session: Session, survey: Survey, invitation: SurveyInvitation, values: dict[int, Any]) -> bool:
    """Store the answers ({question id: value}, validated); False when this link has answered already."""
    if invitation.answered:
        return False
    invitation.answered = True
    response = SurveyResponse(survey_id=survey.id, submitted_on=utcnow().astimezone(HELSINKI).date())
    response.answers = [SurveyAnswer(question_id=question_id, value=value) for question_id, value in values.items()
                        if value not in (None, "", [])]
    session.add(response)
    session.flush()
    return True
