"""Public page of the surveys part: the personal answer link `/newsletter/surveys/answer/<token>`.

GET (and HEAD, OPTIONS: mail scanners open links) shows the survey's form in the invitee's language and
changes nothing; POST records the answer once. A second POST of the same link shows "you have answered
already" and records nothing. Bad input shows the form again with a message next to the field (422).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import force_locale

from services.subscriptions.models import db
from services.subscriptions.surveys.links import ANSWER_PURPOSE, read_answer_token
from services.subscriptions.surveys.models import Survey, SurveyInvitation, in_language
from services.subscriptions.surveys.operations import answering
from services.subscriptions.surveys.schemas import Errors, read_answers
from shared.i18n import explicit_language
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import keep_private

pages = Blueprint("survey_pages", __name__)


def register(app: Flask) -> None:
    app.register_blueprint(pages)


pages.after_request(keep_private)  # pages behind personal links


def _problem(*, expired: bool = False) -> tuple[str, int]:
    return render_template("surveys/link_problem.html", expired=expired, purpose=ANSWER_PURPOSE), \
        410 if expired else 404


@pages.route("/surveys/answer/<token>", methods=["GET", "POST"])
def answer_page(token: str) -> Any:
    try:
        link = read_answer_token(token)
    except (TokenExpired, TokenInvalid) as error:
        return _problem(expired=isinstance(error, TokenExpired))
    session = db.session()
    try:
        survey, invitation = answering.invitation_of(session, link, lock=request.method == "POST")
    except answering.SurveyClosed:
        return render_template("surveys/closed.html"), 410
    except answering.LinkUnknown:
        return _problem()
    language = explicit_language() or invitation.language
    with force_locale(language):
        return _answer(token, survey, invitation, language)


def _answer(token: str, survey: Survey, invitation: SurveyInvitation, language: str) -> Any:
    if invitation.answered:
        return render_template("surveys/already_answered.html", survey_title=_title(survey, language))
    if request.method != "POST":  # GET, and HEAD or OPTIONS from a link scanner: only look
        return _form(token, survey, language, {}, None)
    values, errors = read_answers(survey.questions, request.form)
    if errors:
        db.session().rollback()
        return _form(token, survey, language, errors, request.form), 422
    answering.record(db.session(), survey, invitation, values)
    db.session().commit()
    return render_template("surveys/thanks.html", survey_title=_title(survey, language))


def _title(survey: Survey, language: str) -> str:
    return in_language(survey.title, language, str(current_app.config["PRIMARY_LANGUAGE"]))


def _form(token: str, survey: Survey, language: str, errors: Errors, given: Any) -> str:
    primary = str(current_app.config["PRIMARY_LANGUAGE"])
    questions = [{"id": q.id, "kind": q.kind, "text": in_language(q.text, language, primary),
                  "options": list(enumerate(q.option_labels(language, primary)))} for q in survey.questions]
    return render_template("surveys/answer.html", token=token, language=language, survey_title=_title(survey, language),
                           intro=in_language(survey.intro, language, primary), questions=questions, errors=errors,
                           given=given, preview=False)
