"""No public endpoint tells whether an address is known: the answer for a known address (pending,
subscribed, registered, an admin account) is the same as for an unknown one."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.test import Client, TestResponse

from shared.ratelimit import reset_rates
from tests.security import flows
from tests.security.conftest import HTML, Route, links_written


def comparable(response: TestResponse, *addresses: str) -> tuple[int, str, str]:
    """Status, redirect target and body, with the addresses and per-session values taken out."""
    body = response.get_data(as_text=True)
    for value in addresses:
        body = body.replace(value, "ADDRESS")
    body = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', body)
    return response.status_code, response.headers.get("Location", ""), body


def test_subscribe_api_answers_the_same_for_known_and_unknown(client: Client, apps: dict[str, Flask]) -> None:
    known = flows.address("known")
    first = flows.subscribe(client, known)
    if first.status_code == 404:
        pytest.skip("no subscribe API yet")
    assert first.status_code == 202, first.get_data(as_text=True)
    unknown = flows.address("unknown")
    pending_again = comparable(flows.subscribe(client, known), known)
    assert pending_again == comparable(flows.subscribe(client, unknown), unknown)
    for link in links_written(apps):
        if "/confirm/" in link:
            client.post(urlsplit(link).path)  # now the known address is subscribed
    again_unknown = flows.address("unknown")
    assert comparable(flows.subscribe(client, known), known) == comparable(flows.subscribe(client, again_unknown),
                                                                            again_unknown)


def test_subscribe_page_answers_the_same_for_known_and_unknown(client: Client, routes: list[Route]) -> None:
    if not any(str(route) == "/newsletter/" and "POST" in route.methods for route in routes):
        pytest.skip("no subscribe page yet")
    known = flows.address("known")

    def post(email: str) -> TestResponse:
        reset_rates()
        return client.post("/newsletter/", data={"email": email, "name": "Maija", "language": "fi",
                                                 "topics": ["newsletter"], "website": ""}, headers=HTML)

    post(known)
    unknown = flows.address("unknown")
    assert comparable(post(known), known) == comparable(post(unknown), unknown)


def test_registration_answers_the_same_for_registered_and_new(client: Client,
                                                               admin_headers: Callable[[str], dict[str, str]]) -> None:
    event = flows.create_event(client, admin_headers("organizer"))
    if event is None:
        pytest.skip("the events API cannot create an event yet")
    known = flows.address("registered")
    first = flows.register(client, event["id"], known)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = flows.register(client, event["id"], known)
    new = flows.register(client, event["id"], flows.address("new"))
    assert again.status_code == new.status_code, (
        f"a second registration with the same address answers {again.status_code} "
        f"({again.get_data(as_text=True)[:300]}); a new address answers {new.status_code}")
    assert set(again.get_json() or {}) == set(new.get_json() or {})


def test_admin_login_answers_the_same_for_known_and_unknown_accounts(client: Client, routes: list[Route],
                                                                     apps: dict[str, Flask]) -> None:
    from shared.web_auth import hash_password, save_user

    logins = [route for route in routes if route.rule.endpoint.endswith(".login") and "POST" in route.methods]
    if not logins:
        pytest.skip("no admin login page yet")
    known = flows.address("coordinator")
    password_hash = hash_password("oikea-salasana-123")
    from services import SERVICES

    for info in SERVICES:
        with info.module().db.transaction() as session:
            save_user(session, email=known, role="coordinator", password_hash=password_hash, name="Koordinaattori")
    problems = []
    for route in logins:
        results = []
        for email in (known, flows.address("nobody")):
            reset_rates()
            page = client.get(route.path(), headers=HTML).get_data(as_text=True)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            response = client.post(route.path(), headers=HTML, data={
                "email": email, "password": "väärä-salasana-1", "csrf_token": csrf.group(1) if csrf else ""})
            results.append(comparable(response, email))
        if results[0] != results[1]:
            problems.append(f"POST {route.path()}: a wrong password for a known account answers "
                            f"{results[0][0]}, for an unknown address {results[1][0]}; bodies differ: "
                            f"{results[0][2] != results[1][2]}")
    assert not problems, "\n".join(problems)
