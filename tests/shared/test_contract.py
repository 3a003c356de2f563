"""The batch recipient's fast path gives the schema's answer, whatever the input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared.contract import BatchRecipient, EmailBatch, InvalidPayload, load_payload

GOOD: dict[str, Any] = {
    "idempotency_key": "issue:7:42",
    "email": "aino.virtanen@example.fi",
    "name": "Aino Virtanen",
    "substitutions": {"preferences_url": "https://elo.example/newsletter/preferences/abc"},
    "list_headers": {"list_id": "uutiskirje.elo.example", "unsubscribe_url": "https://elo.example/u/abc",
                     "unsubscribe_mailto": "unsubscribe@elo.example"},
}


def schema_answer(recipient: Any) -> Any:
    try:
        return BatchRecipient().load(recipient)
    except ValidationError as error:
        return ("invalid", error.messages)


def batch_answer(recipient: Any) -> Any:
    batch = {"campaign": "issue-7", "template": "newsletter-issue", "language": "fi", "recipients": [recipient]}
    try:
        return load_payload(EmailBatch, batch)["recipients"][0]
    except InvalidPayload as error:
        return ("invalid", str(error))


def variants() -> list[Any]:
    """The good recipient with one thing changed at a time: each kind of breakage and each default."""
    changed: list[Any] = [GOOD, {k: v for k, v in GOOD.items() if k not in ("name", "substitutions", "list_headers")}]
    for key, values in {
        "idempotency_key": ["short", "k" * 200, "k" * 201, 12345678, None, b"issue:7:42"],
        "email": ["not-an-address", "a@@example.fi", "", None, 42, "Ä@example.fi", "aino@localhost"],
        "name": [None, "", 7, "N" * 500],
        "substitutions": [{}, {"a": 1}, {1: "a"}, [], None, {"a": None}],
        "list_headers": [None, {}, "x", {**GOOD["list_headers"], "unsubscribe_url": "ftp://elo.example/u"},
                         {**GOOD["list_headers"], "unsubscribe_url": "https://elo/u"},
                         {**GOOD["list_headers"], "unsubscribe_url": "javascript:alert(1)"},
                         {**GOOD["list_headers"], "list_id": "ab"}, {**GOOD["list_headers"], "extra": 1},
                         {"list_id": "uutiskirje.elo.example", "unsubscribe_url": "https://elo.example/u"},
                         {**GOOD["list_headers"], "unsubscribe_mailto": 5}],
        "unknown": ["x"],
    }.items():
        changed += [{**GOOD, key: value} for value in values]
    changed += [{k: v for k, v in GOOD.items() if k != "email"}, None, [], "recipient", 5]
    return changed


@pytest.mark.parametrize("recipient", variants())
def test_the_fast_path_answers_like_the_schema(recipient: Any) -> None:
    expected = schema_answer(recipient)
    answer = batch_answer(recipient)
    if isinstance(expected, tuple):
        assert isinstance(answer, tuple), f"accepted what the schema refuses: {expected[1]}"
    else:
        assert answer == expected


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                       max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "idempotency_key": st.text(max_size=210) | json_values, "email": st.emails() | st.text(max_size=40),
    "name": st.none() | st.text(max_size=20), "substitutions": st.dictionaries(st.text(max_size=5), st.text(max_size=5))
    | json_values, "list_headers": st.none() | st.fixed_dictionaries(
        {"list_id": st.text(max_size=8), "unsubscribe_url": st.sampled_from(
            ["https://elo.example/u/1", "http://x/y", "ftp://a.fi/", "nota url", ""])}) | json_values}))
def test_the_fast_path_never_disagrees_with_the_schema(recipient: dict[str, Any]) -> None:
    expected = schema_answer(recipient)
    answer = batch_answer(recipient)
    assert isinstance(answer, tuple) == isinstance(expected, tuple)
    if not isinstance(expected, tuple):
        assert answer == expected
