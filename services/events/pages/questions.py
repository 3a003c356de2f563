"""The organiser's editor of an event's own questions at /events/admin/events/<id>/questions: the
registration questions and the feedback questions, each added, changed, deleted and moved up or down
with plain forms and POST buttons (no script needed). Thin: read the form, one use-case, commit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from services.events.models import db
from services.events.operations import events
from services.events.operations import questions as ops
from shared.errors import DomainError, InvalidInput
from shared.form_messages import field_message
from shared.settings import LANGUAGES
from shared.web import current_language

PAGE = "events/workspace/questions.html"
FORM = "events/workspace/question_form.html"
DELETE_PAGE = "events/workspace/question_delete.html"
CHOICE_TYPES = ("single", "multiple")


def add_routes(blueprint: Blueprint) -> None:
    base = "/events/<int:event_id>/questions"
    blueprint.add_url_rule(base, "questions", questions_page)
    blueprint.add_url_rule(f"{base}/<kind>/new", "question_new", new_question, methods=["GET", "POST"])
    blueprint.add_url_rule(f"{base}/<kind>/<key>/edit", "question_edit", edit_question, methods=["GET", "POST"])
    blueprint.add_url_rule(f"{base}/<kind>/<key>/delete", "question_delete", delete_question, methods=["POST"])
    blueprint.add_url_rule(f"{base}/<kind>/<key>/move", "question_move", move_question, methods=["POST"])


def type_labels() -> dict[str, dict[str, str]]:
    return {ops.REGISTRATION: {"text": _("Free text"), "single": _("One choice"), "multiple": _("Several choices"),
                               "yes-no": _("Yes or no")},
            ops.FEEDBACK: {"rating": _("Rating from 1 to 5"), "text": _("Free text")}}


def field_labels() -> dict[str, str]:
    return {"type": _("Kind of answer"), "label_fi": _("Question in Finnish"), "label_sv": _("Question in Swedish"),
            "label_en": _("Question in English"), "required": _("An answer is required"),
            "options_fi": _("Options in Finnish"), "options_sv": _("Options in Swedish"),
            "options_en": _("Options in English"), "_schema": _("Question")}


def questions_page(event_id: int) -> str:
    event = events.get_event(db.session(), event_id)
    return render_template(PAGE, event=event, language=current_language(), types=type_labels(),
                           registration=ops.questions_of(event, ops.REGISTRATION),
                           feedback=ops.questions_of(event, ops.FEEDBACK))


def new_question(event_id: int, kind: str) -> str | BaseResponse | tuple[str, int]:
    return _question_form(event_id, kind, None)


def edit_question(event_id: int, kind: str, key: str) -> str | BaseResponse | tuple[str, int]:
    return _question_form(event_id, kind, key)


def _question_form(event_id: int, kind: str, key: str | None) -> str | BaseResponse | tuple[str, int]:
    session = db.session()
    event = events.get_event(session, event_id)
    ops.questions_of(event, kind)  # 404 for an unknown list
    old = ops.find_question(event, kind, key) if key is not None else None
    values = _form_values(kind) if request.method == "POST" else _values_of(kind, old)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            errors = _option_errors(values)
            if errors:
                raise InvalidInput("Check the options.", errors=errors)
            saved = ops.save_question(session, event_id, kind, _to_input(kind, values), key)
        except DomainError as error:
            session.rollback()
            errors = errors or _field_errors(error.errors or {"_schema": [error.detail]})
        else:
            session.commit()
            flash(_("The question is saved."), "success")
            return _back_to_list(event_id, kind, saved["key"])
    return render_template(FORM, event=event, kind=kind, key=key, values=values, errors=errors,
                           types=type_labels()[kind], labels=field_labels(), languages=LANGUAGES,
                           language=current_language()), 422 if errors else 200


def delete_question(event_id: int, kind: str, key: str) -> BaseResponse | str:
    """Deleting asks first (the first POST shows what goes); the POST with `confirm=yes` deletes."""
    if request.form.get("confirm") != "yes":
        event = events.get_event(db.session(), event_id)
        question = ops.find_question(event, kind, key)
        label = question.get("label", {})
        return render_template(DELETE_PAGE, event=event, kind=kind, key=key,
                               text=label.get(current_language()) or label.get("fi", key))
    return _list_action(event_id, kind, key, "delete")


def move_question(event_id: int, kind: str, key: str) -> BaseResponse:
    return _list_action(event_id, kind, key, "move")


def _list_action(event_id: int, kind: str, key: str, action: str) -> BaseResponse:
    session = db.session()
    try:
        if action == "delete":
            ops.delete_question(session, event_id, kind, key)
        else:
            ops.move_question(session, event_id, kind, key, -1 if request.form.get("direction") == "up" else 1)
    except DomainError as error:
        session.rollback()
        flash(_(error.detail), "error")
        return redirect(url_for(".questions", event_id=event_id))
    session.commit()
    if action == "delete":
        flash(_("The question is deleted. Answers already given are kept."), "success")
        return redirect(url_for(".questions", event_id=event_id) + f"#list-{kind}")
    return _back_to_list(event_id, kind, key)


def _back_to_list(event_id: int, kind: str, key: str) -> BaseResponse:
    return redirect(url_for(".questions", event_id=event_id) + f"#q-{kind}-{key}")


# --- the question form -----------------------------------------------------------------------------

def _form_values(kind: str) -> dict[str, Any]:
    form = request.form
    values: dict[str, Any] = {"type": form.get("type", "").strip(), "required": form.get("required") == "1"}
    for language in LANGUAGES:
        values[f"label_{language}"] = form.get(f"label_{language}", "").strip()
        if kind == ops.REGISTRATION:
            values[f"options_{language}"] = form.get(f"options_{language}", "").strip()
    return values


def _values_of(kind: str, question: dict[str, Any] | None) -> dict[str, Any]:
    question = question or {"type": "text" if kind == ops.REGISTRATION else "rating", "label": {}}
    values: dict[str, Any] = {"type": question["type"], "required": bool(question.get("required"))}
    for language in LANGUAGES:
        values[f"label_{language}"] = question["label"].get(language) or ""
        values[f"options_{language}"] = "\n".join(option["label"].get(language) or ""
                                                  for option in question.get("options") or [])
    return values


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _option_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """Swedish and English options, when given, line up with the Finnish ones."""
    if values.get("type") not in CHOICE_TYPES:
        return {}
    count = len(_lines(values.get("options_fi", "")))
    return {f"options_{language}": [_("Give as many options as in Finnish, in the same order.")]
            for language in ("sv", "en")
            if _lines(values.get(f"options_{language}", "")) and len(_lines(values[f"options_{language}"])) != count}


def _to_input(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """Form values → the API's Question / FeedbackQuestion (option values are kept or made by the use-case)."""
    label = {language: values[f"label_{language}"] for language in LANGUAGES
             if values.get(f"label_{language}") or language == "fi"}
    data: dict[str, Any] = {"type": values.get("type"), "label": label if label.get("fi") else {}}
    if kind == ops.REGISTRATION:
        data["required"] = bool(values.get("required"))
        lines = {language: _lines(values.get(f"options_{language}", "")) for language in LANGUAGES}
        data["options"] = [{"label": {language: lines[language][n] for language in LANGUAGES
                                      if n < len(lines[language])}}
                           for n in range(len(lines["fi"]))] if values.get("type") in CHOICE_TYPES else []
    return data


def _field_errors(messages: Any) -> dict[str, list[str]]:
    """The schema's nested messages → one entry per form field, translated: label.fi → label_fi,
    anything about the options → options_fi."""
    flat: dict[str, list[str]] = {}
    for name, value in (messages.items() if isinstance(messages, dict) else [("_schema", messages)]):
        if name == "label" and isinstance(value, dict):
            for language, inner in value.items():
                flat.setdefault(f"label_{language}", []).extend(_texts(inner))
        else:
            field = "options_fi" if name == "options" else ("type" if name == "type" else str(name))
            flat.setdefault(field, []).extend(_texts(value))
    if "label_fi" not in flat and "label" in flat:
        flat["label_fi"] = flat.pop("label")
    return {name: sorted(set(texts), key=texts.index) for name, texts in flat.items()}


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for inner in value.values() for text in _texts(inner)]
    if isinstance(value, list):
        return [text for inner in value for text in _texts(inner)]
    return [field_message(str(value))]
