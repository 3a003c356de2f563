"""Which email of the surveys part goes to whom, with its idempotency key.

survey-invitation   to each invited person when the survey is sent, `survey-invitation:<survey>:<nonce>`
survey-reminder     to each invited person who has not answered, once per reminder round,
                    `survey-reminder:<survey>:<round>:<nonce>`

One message per person (`SEND_EMAIL`), in the person's language, with their personal answer link. Not list
mail: the survey is sent once to a chosen audience. Written to the outbox in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.subscriptions.surveys.links import answer_url
from services.subscriptions.surveys.models import Survey, SurveyInvitation, in_language
from shared.contract import SEND_EMAIL, EmailRequest, dump_payload
from shared.outbox import enqueue

ORIGIN = "subscriptions"
INVITATION = "survey-invitation"
REMINDER = "survey-reminder"


def invitation_key(survey: Survey, invitation: SurveyInvitation) -> str:
    return f"{INVITATION}:{survey.id}:{invitation.nonce}"


def reminder_key(survey: Survey, invitation: SurveyInvitation, round_number: int) -> str:
    return f"{REMINDER}:{survey.id}:{round_number}:{invitation.nonce}"


def _send(session: Session, survey: Survey, invitation: SurveyInvitation, *, template: str, key: str,
          primary: str) -> None:
    language = invitation.language
    enqueue(session, SEND_EMAIL, dump_payload(EmailRequest, {
        "idempotency_key": key,
        "template": template,
        "language": language,
        "recipient": {"email": invitation.email, "name": invitation.name},
        "context": {"survey_title": in_language(survey.title, language, primary),
                    "survey_intro": in_language(survey.intro, language, primary),
                    "question_count": len(survey.questions),
                    "personal": {"answer_url": answer_url(invitation)}},
        "origin": ORIGIN,
    }))


def invitation(session: Session, survey: Survey, invited: SurveyInvitation, primary: str) -> None:
    _send(session, survey, invited, template=INVITATION, key=invitation_key(survey, invited), primary=primary)


def reminder(session: Session, survey: Survey, invited: SurveyInvitation, round_number: int, primary: str) -> None:
    _send(session, survey, invited, template=REMINDER, key=reminder_key(survey, invited, round_number),
          primary=primary)
