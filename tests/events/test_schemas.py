"""RegistrationInput: the registration body checked against its event, with the messages the pages translate."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.events.models import Event, EventMode, Participation
from services.events.schemas import RegistrationInput

QUESTIONS = [
    {"key": "workshop", "type": "single", "required": True, "label": {"fi": "Työpaja"},
     "options": [{"value": "a", "label": {"fi": "A"}}, {"value": "b", "label": {"fi": "B"}}]},
    {"key": "photo", "type": "yes-no", "label": {"fi": "Kuva"}},
]


def _event(mode: EventMode = EventMode.HYBRID, questions: list | None = None) -> Event:
    return Event(mode=mode, questions=questions or [])


def _errors(event: Event, body: object) -> dict:
    with pytest.raises(ValidationError) as raised:
        RegistrationInput(event=event).load(body)
    return raised.value.messages


def test_a_valid_body_loads_to_the_registrations_fields():
    loaded = RegistrationInput(event=_event(questions=QUESTIONS), default_language="sv").load({
        "name": "  Aino Mäkelä ", "email": " Aino@Example.FI ", "participation": "remote",
        "answers": {"workshop": "b", "photo": "yes"}})
    assert loaded == {"name": "Aino Mäkelä", "email": "aino@example.fi", "organisation": "", "sector": None,
                      "participation": Participation.REMOTE, "language": "sv", "dietary_needs": "",
                      "accessibility_needs": "", "answers": {"workshop": "b", "photo": True}}


def test_the_only_way_to_take_part_is_the_default():
    loaded = RegistrationInput(event=_event(EventMode.ONLINE)).load({"name": "A", "email": "a@example.fi"})
    assert loaded["participation"] is Participation.REMOTE
    assert _errors(_event(), {"name": "A", "email": "a@example.fi"}) == {"participation": ["This field is required."]}


def test_each_rule_has_its_message():
    errors = _errors(_event(EventMode.ONSITE, QUESTIONS), {
        "name": None, "email": "a@b", "organisation": 5, "participation": "remote", "language": "de",
        "dietary_needs": "x" * 1001, "answers": {"workshop": "z", "nope": 1}, "shoe_size": 42})
    assert errors == {
        "name": ["This field is required."], "email": ["Enter an email address like name@example.fi."],
        "organisation": ["Give text here."], "participation": ["This event does not offer this way of taking part."],
        "language": ["Choose one of the options."], "dietary_needs": ["This is too long."],
        "answers.workshop": ["Choose one of the options."], "answers.nope": ["There is no such question."],
        "shoe_size": ["Unknown field."]}


def test_answers_must_be_an_object_and_required_questions_answered():
    errors = _errors(_event(questions=QUESTIONS), {"name": "A", "email": "a@example.fi", "participation": "onsite",
                                                   "answers": ["a"]})
    assert errors == {"answers": ["Give the answers as an object keyed by question."],
                      "answers.workshop": ["This field is required."]}
    assert _errors(_event(), {"name": "A", "email": "a@example.fi", "participation": "bus"}) == {
        "participation": ["Choose one of the options."]}
