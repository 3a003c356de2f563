"""shared.logs: JSON log lines with the request id, carried from a request through the broker into the actor
that handles the message sent during it; secrets masked in every line."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from shared.logs import JsonFormatter, TextFormatter, configure_logging, mask_secrets
from shared.settings import SettingsError
from tests.security import flows

REQUEST_ID = "req-7f3a9c2e"


@pytest.fixture
def json_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every log line written anywhere in the process (worker threads too), as parsed JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("tests"))
    root, actors = logging.getLogger(), logging.getLogger("services")
    levels = root.level, actors.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    actors.setLevel(logging.DEBUG)  # dramatiq logs each message an actor receives and completes at DEBUG
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        actors.setLevel(levels[1])


def test_the_request_id_follows_the_message_into_the_actor(client: Client, apps: dict[str, Flask],
                                                           drain: Callable[..., None],
                                                           json_lines: Callable[[], list[dict[str, Any]]]) -> None:
    response = client.post("/newsletter/api/v1/subscriptions", headers={"X-Request-ID": REQUEST_ID},
                           json={"email": flows.address("logs"), "language": "fi", "topics": ["newsletter"]})
    assert response.status_code == 202
    assert response.headers["X-Request-ID"] == REQUEST_ID
    drain()
    lines = json_lines()
    request_line = next(line for line in lines if line["logger"] == "elo.request")
    assert request_line["request_id"] == REQUEST_ID
    assert request_line["service"] == "subscriptions"
    assert request_line["message"].startswith("POST /newsletter/api/v1/subscriptions 202 ")
    in_actor = [line for line in lines if line["logger"].endswith("mailer.send_email")]
    assert in_actor, "the mailer's actor wrote no log line"
    assert {line["request_id"] for line in in_actor} == {REQUEST_ID}
    assert {line["service"] for line in in_actor} == {"mailer"}
    assert {"time", "level", "logger", "message", "service", "request_id"} <= set(in_actor[0])


def test_an_unusable_request_id_is_replaced_by_a_fresh_one(client: Client, apps: dict[str, Flask]) -> None:
    for given in ("<script>alert(1)</script>", "x" * 101, "two words", ""):
        answered = client.get("/events/", headers={"X-Request-ID": given}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", answered), (given, answered)
    first, second = (client.get("/mailer/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second


def test_the_request_line_names_the_url_rule_not_the_token_in_the_path(
        client: Client, apps: dict[str, Flask], json_lines: Callable[[], list[dict[str, Any]]]) -> None:
    token = "eyJpZCI6NDJ9.Zx3abc.Kq9s8dJ2kQnLmP0aaZZyy_xk"
    client.get(f"/events/registrations/{token}")
    logged = "\n".join(json.dumps(line) for line in json_lines())
    assert "/events/registrations/<token>" in logged
    assert token not in logged


def test_secrets_are_masked_in_every_line() -> None:
    record = logging.LogRecord("elo.test", logging.WARNING, __file__, 1, "connecting to %s with %s", None, None)
    record.args = ("amqp://elo:hunter2@rabbitmq:5672/", "Authorization: Bearer tok3n.value")
    try:
        raise RuntimeError("failed on /newsletter/confirm/eyJpZCI6MX0.Zx3abc.Kq9s8dJ2kQnLmP0aaZZyy")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter("worker").format(record))
    assert line["message"] == "connecting to amqp://elo:***@rabbitmq:5672/ with Authorization: Bearer ***"
    assert line["level"] == "WARNING"
    assert line["service"] == "worker"
    assert line["request_id"] is None
    assert "RuntimeError: failed on /newsletter/confirm/***" in line["exception"]
    assert "hunter2" not in TextFormatter().format(record)
    assert mask_secrets("/newsletter/archive/2026-11-uutiskirje-marraskuu and message 0f8e4b1a-2c3d-4e5f-8a9b-"
                        "0c1d2e3f4a5b?token=abc") == ("/newsletter/archive/2026-11-uutiskirje-marraskuu and message "
                                                      "0f8e4b1a-2c3d-4e5f-8a9b-0c1d2e3f4a5b?token=***")


def test_configure_logging_keeps_a_test_runners_handlers_and_refuses_an_unknown_format() -> None:
    root = logging.getLogger()
    formatters = [handler.formatter for handler in root.handlers]
    configure_logging("json", env={})
    assert [handler.formatter for handler in root.handlers] == formatters
    with pytest.raises(SettingsError, match="ELO_LOG_FORMAT: 'xml' is not one of json, text"):
        configure_logging(env={"ELO_LOG_FORMAT": "xml"})
