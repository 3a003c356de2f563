"""Tables of the surveys part (on the subscriptions service's Base): the cooperation group's roster, surveys,
their questions, the personal invitations of an open survey, and the anonymous responses with their answers.

Answers cannot be traced to a person: an invitation only records that its holder answered, a response has
no invitation id and only the day it came, and closing a survey deletes its invitations (the survey keeps
the counts `invited` and `answered`).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.subscriptions.models import Base
from shared.db import stored_enum, utcnow

RATING_SCALE = (1, 2, 3, 4, 5)
SURVEY_LANGUAGES = ("fi", "sv", "en")


class QuestionKind(enum.StrEnum):
    RATING = "rating"  # 1-5
    SINGLE = "single"  # one of the options
    MULTIPLE = "multiple"  # any of the options
    TEXT = "text"  # free text


QUESTION_KINDS = tuple(kind.value for kind in QuestionKind)


class SurveyStatus(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"  # sent: invitations out, answers come in
    CLOSED = "closed"  # no one can answer; the invitations are gone


def new_nonce() -> str:
    return secrets.token_hex(16)


def in_language(values: dict[str, Any] | None, language: str, primary: str = "fi") -> str:
    """The text in `language`, else in the primary language, else any."""
    values = values or {}
    return str(values.get(language) or values.get(primary) or next((v for v in values.values() if v), ""))


class GroupMember(Base):
    """A member of the cooperation group (the roster the coordinator keeps), one row per address."""

    __tablename__ = "group_members"
    __table_args__ = (CheckConstraint("language IN ('fi', 'sv', 'en')", name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(2), default="fi")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict[str, Any]] = mapped_column(JSON)  # {fi, sv, en}
    intro: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    year: Mapped[int] = mapped_column(index=True)
    status: Mapped[SurveyStatus] = mapped_column(stored_enum(SurveyStatus, "survey_status"),
                                                 default=SurveyStatus.DRAFT)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {group, topic, events}
    invited: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)  # kept at close; while open, count the responses
    reminder_round: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan")


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(stored_enum(QuestionKind, "survey_question_kind"))
    text: Mapped[dict[str, Any]] = mapped_column(JSON)  # {fi, sv, en}
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {fi: [...], sv: [...], en: [...]}

    survey: Mapped[Survey] = relationship(back_populates="questions")

    def option_labels(self, language: str, primary: str = "fi") -> list[str]:
        """The options in `language` (each falling back to the primary language's)."""
        base = list(self.options.get(primary) or next((v for v in self.options.values() if v), []))
        wanted = list(self.options.get(language) or [])
        return [wanted[index] if index < len(wanted) and wanted[index] else label for index, label in enumerate(base)]


class SurveyInvitation(Base):
    """One person's single-use answer link while the survey is open; deleted when it closes."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("survey_id", "email_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    nonce: Mapped[str] = mapped_column(String(32), unique=True, default=new_nonce)
    answered: Mapped[bool] = mapped_column(default=False)
    reminded_round: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[dt.datetime | None]


class SurveyResponse(Base):
    """One anonymous response: no person, no invitation, only the day it came."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[dt.date]

    answers: Mapped[list[SurveyAnswer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class SurveyAnswer(Base):
    """rating: an int 1-5; single: an option index; multiple: a list of option indexes; text: a string."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    value: Mapped[Any] = mapped_column(JSON)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
