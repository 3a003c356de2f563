"""The personal answer link of a survey invitation: `/newsletter/surveys/answer/<token>`.

Signed and bound to its own purpose; it carries the survey's id, the invitation's id and its random nonce,
never the address. It works while the survey is open: closing deletes the invitations, so every link of
the survey stops working (the page then says the survey is closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from services.subscriptions.subscribers.operations.links import base_url
from services.subscriptions.surveys.models import SurveyInvitation
from shared.tokens import DAY, TokenInvalid, make_token, read_token

ANSWER_PURPOSE = "survey-answer"
ANSWER_MAX_AGE = 366 * DAY  # a survey is open for weeks; closing it ends every link before this


@dataclass(frozen=True)
class AnswerLink:
    survey_id: int
    invitation_id: int
    nonce: str


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def answer_token(invitation: SurveyInvitation) -> str:
    return make_token(_secret(), ANSWER_PURPOSE, [invitation.survey_id, invitation.id, invitation.nonce])


def answer_url(invitation: SurveyInvitation) -> str:
    """Absolute link; `lang` opens the page in the invitee's language."""
    return f"{base_url()}/newsletter/surveys/answer/{answer_token(invitation)}?lang={invitation.language}"


def read_answer_token(token: str) -> AnswerLink:
    """The link's contents; `TokenExpired` / `TokenInvalid` otherwise."""
    data: Any = read_token(_secret(), ANSWER_PURPOSE, token, ANSWER_MAX_AGE)
    if not (isinstance(data, list) and len(data) == 3 and isinstance(data[0], int) and isinstance(data[1], int)
            and isinstance(data[2], str)):
        raise TokenInvalid(ANSWER_PURPOSE)
    return AnswerLink(data[0], data[1], data[2])
