"""Workspace fixtures: a user in every service database and a logged-in test client."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.test import Client, TestResponse

from services import SERVICES
from shared.web_auth import hash_password, save_user

PASSWORD = "correct horse battery"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(email: str = "koordinaattori@example.fi", role: str = "coordinator") -> str:
    password_hash = hash_password(PASSWORD)
    for info in SERVICES:
        with info.module().db.transaction() as session:
            save_user(session, email=email, role=role, password_hash=password_hash)
    return email


def csrf_from(response: TestResponse) -> str:
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: Client, prefix: str, email: str, password: str = PASSWORD) -> TestResponse:
    english = {"Accept-Language": "en"}
    page = client.get(f"{prefix}/admin/login", headers=english)
    return client.post(f"{prefix}/admin/login", data={"email": email, "password": password,
                                                      "csrf_token": csrf_from(page)}, headers=english)


@pytest.fixture
def logged_in(apps: dict[str, Flask], client: Client) -> Callable[..., Client]:
    """`logged_in("/events", role="organizer")` → the client, logged in to that service's workspace."""

    def login(prefix: str, role: str = "coordinator") -> Client:
        email = make_user(f"{role}@example.fi", role)
        response = log_in(client, prefix, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login
