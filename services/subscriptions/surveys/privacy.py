"""Personal data in the surveys part: the cooperation group's roster, and the invitations of open surveys
(address, name, language, whether the link was used). Both are found by the keyed hash of the address.

Answers are anonymous and stay: nothing links them to the person. Closing a survey deletes its invitations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.subscriptions.surveys.models import GroupMember, Survey, SurveyInvitation, in_language


def holds(session: Session, address_hash: str) -> bool:
    return (session.scalar(select(GroupMember.id).where(GroupMember.email_hash == address_hash).limit(1)) is not None
            or session.scalar(select(SurveyInvitation.id).where(SurveyInvitation.email_hash == address_hash)
                              .limit(1)) is not None)


def export_person(session: Session, address_hash: str) -> dict[str, Any]:
    members = session.scalars(select(GroupMember).where(GroupMember.email_hash == address_hash))
    invitations = session.execute(select(SurveyInvitation, Survey).join(Survey)
                                  .where(SurveyInvitation.email_hash == address_hash).order_by(SurveyInvitation.id))
    return {
        "group_membership": [{"name": m.name, "email": m.email, "organisation": m.organisation,
                              "language": m.language, "added_at": m.created_at.isoformat()} for m in members],
        "survey_invitations": [{"survey": in_language(survey.title, invitation.language), "email": invitation.email,
                                "name": invitation.name, "language": invitation.language,
                                "answered": invitation.answered,
                                "reminded_at": invitation.reminded_at.isoformat() if invitation.reminded_at else None}
                               for invitation, survey in invitations],
    }


def erase_person(session: Session, address_hash: str) -> set[str]:
    """The roster entry and the open invitations go; anonymous answers stay (the survey's counts too).
    Returns the address's spellings found (to forget them in the outbox too)."""
    found = set(session.scalars(select(GroupMember.email).where(GroupMember.email_hash == address_hash)))
    found |= set(session.scalars(select(SurveyInvitation.email).where(SurveyInvitation.email_hash == address_hash)))
    session.execute(delete(GroupMember).where(GroupMember.email_hash == address_hash))
    session.execute(delete(SurveyInvitation).where(SurveyInvitation.email_hash == address_hash))
    session.flush()
    return found
