"""No link token, bearer token, secret key or password reaches the logs during a whole journey:
subscribe → confirm → preferences → unsubscribe, an admin API call, a login attempt, a registration
and its cancel link, with the worker delivering every email.

Captured at DEBUG, the most talkative level: dramatiq would log every message's arguments (links
included) and SQLAlchemy every statement's parameters; both are kept out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.test import Client

from shared.ratelimit import reset_rates
from shared.settings import Settings
from tests.security import flows
from tests.security.conftest import HTML, Route, links_written

PASSWORD = "salainen-Salasana-42"


def test_no_token_or_secret_in_the_logs(  # noqa: PLR0917 - pytest passes fixtures positionally
        client: Client, apps: dict[str, Flask], routes: list[Route], settings: Settings,
        caplog: pytest.LogCaptureFixture, admin_headers: Callable[[str], dict[str, str]],
        drain: Callable[..., None]) -> None:
    caplog.set_level(logging.DEBUG)
    bearer = admin_headers("coordinator")
    secrets_seen: dict[str, str] = {"secret key": settings.secret_key, "password": PASSWORD,
                                    "bearer token": bearer["Authorization"].split()[1]}

    email = flows.address("journey")
    flows.subscribe(client, email)
    drain()
    for link in sorted(links_written(apps)):
        path = urlsplit(link).path
        if "/confirm/" in path:
            client.post(path, headers=HTML)
    drain()
    client.get("/newsletter/api/v1/subscribers", headers=bearer)
    client.get("/events/api/v1/ops/outbox", headers=bearer)
    for route in routes:
        if route.rule.endpoint.endswith(".login") and "POST" in route.methods:
            reset_rates()
            client.post(route.path(), data={"email": email, "password": PASSWORD}, headers=HTML)
    event = flows.create_event(client, admin_headers("organizer"))
    if event is not None:
        flows.register(client, event["id"], email)
        drain()
    for link in sorted(links_written(apps)):
        path = urlsplit(link).path
        if "/preferences/" in path:
            client.get(path, headers=HTML)
        if "/registrations/" in path:
            client.get(path, headers=HTML)
    for link in sorted(links_written(apps)):
        path = urlsplit(link).path
        if "/unsubscribe/" in path:
            client.post(path, data={"List-Unsubscribe": "One-Click"})
    drain()

    tokens = {match.group(1) for link in links_written(apps)
              for match in re.finditer(r"/(?:confirm|unsubscribe|preferences|registrations|calendar|feedback)/"
                                       r"([A-Za-z0-9_\-.]{20,})", link)}
    for token in tokens:
        secrets_seen[f"link token {token[:12]}…"] = token.removesuffix(".ics")
    logging.getLogger("services").info("log capture probe")
    assert "log capture probe" in caplog.text, "the capture is not working"
    logged = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    leaked = [name for name, value in secrets_seen.items() if value and value in logged]
    assert not leaked, f"found in the logs: {leaked}"
