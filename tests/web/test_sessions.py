"""Workspace sessions are kept on the server: logout, a new password, another role and idleness end
them, also where the cookie was copied; and a session lasts ELO_SESSION_HOURS at most."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, update
from werkzeug.test import Client

from services import SERVICES
from shared.accounts import find_user, save_user
from shared.db import utcnow
from shared.models import User, UserSession
from shared.settings import load_settings
from tests.conftest import Backend
from tests.web.conftest import csrf_from, log_in, make_user

COOKIE = "elo_workspace"  # one login cookie for every service
HOME = "/events/admin/"


def logged_in_client(client: Client, email: str) -> Client:
    response = log_in(client, "/events", email)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get(HOME).status_code == 200
    return client


def copy_of(client: Client) -> Client:
    """Another browser with the same session cookie (say, copied off a shared computer)."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = Client(client.application)
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def events_sessions(email: str) -> list[UserSession]:
    with SERVICES[1].module().db.transaction() as session:
        user = find_user(session, email)
        assert user is not None
        return list(session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def move_sessions(email: str, **shift: dt.timedelta) -> None:
    """Move the person's events sessions back in time (e.g. last_seen_at=2 h), instead of waiting."""
    with SERVICES[1].module().db.transaction() as session:
        user = find_user(session, email)
        assert user is not None
        for row in session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
            for column, back in shift.items():
                setattr(row, column, getattr(row, column) - back)


def test_the_cookie_names_a_server_side_session_not_a_user(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    logged_in_client(client, email)
    [row] = events_sessions(email)
    assert row.ended_at is None
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    assert row.id not in cookie.value  # the cookie holds a token; only its hash is stored


def test_logout_ends_the_session_also_where_the_cookie_was_copied(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    logged_in_client(client, email)
    thief = copy_of(client)
    assert thief.get(HOME).status_code == 200  # a copied cookie works while the session lives
    dashboard = client.get(HOME)
    assert client.post("/events/admin/logout", data={"csrf_token": csrf_from(dashboard)}).status_code == 302
    assert client.get(HOME).status_code == 302
    refused = thief.get(HOME)
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/events/admin/login")
    assert [row.ended_at is not None for row in events_sessions(email)] == [True]


def test_a_new_password_ends_every_session_of_that_person(apps: dict[str, Flask], client: Client,
                                                           backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.cli import main

    email = make_user()
    other_email = make_user("toinen@example.fi")
    first = logged_in_client(client, email)
    second = logged_in_client(Client(client.application), email)
    thief = copy_of(first)
    bystander = logged_in_client(Client(client.application), other_email)
    for name, value in backend.env(ELO_NEW_USER_PASSWORD="a brand new password").items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["create-user", "--email", email, "--role", "coordinator"])
    assert result.exit_code == 0, result.output
    for browser in (first, second, thief):
        assert browser.get(HOME).status_code == 302
    assert bystander.get(HOME).status_code == 200  # someone else's sessions go on
    assert log_in(Client(client.application), "/events", email, "a brand new password").status_code == 302


def test_another_role_ends_every_session_of_that_person(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    logged_in_client(client, email)
    for info in SERVICES:
        with info.module().db.transaction() as session:
            user = find_user(session, email)
            assert user is not None
            save_user(session, email=email, role="organizer", password_hash=user.password_hash)
    assert client.get(HOME).status_code == 302
    # Saving the same role and password again (e.g. `elo create-user` re-run by a script) changes nothing.
    logged_in_client(client, email)
    for info in SERVICES:
        with info.module().db.transaction() as session:
            user = find_user(session, email)
            assert user is not None
            save_user(session, email=email, role="organizer", password_hash=user.password_hash)
    assert client.get(HOME).status_code == 200


def test_a_session_ends_when_idle_and_after_its_lifetime(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    logged_in_client(client, email)
    move_sessions(email, last_seen_at=dt.timedelta(minutes=119), created_at=dt.timedelta(minutes=119))
    assert client.get(HOME).status_code == 200  # used within the idle time: it goes on, and the use is noted
    [row] = events_sessions(email)
    assert utcnow() - row.last_seen_at < dt.timedelta(minutes=1)
    move_sessions(email, last_seen_at=dt.timedelta(minutes=121))
    assert client.get(HOME).status_code == 302  # two hours without a request
    [row] = events_sessions(email)
    assert row.ended_at is not None

    logged_in_client(client, email)
    move_sessions(email, created_at=dt.timedelta(hours=12, minutes=1))
    assert client.get(HOME).status_code == 302  # in use all the time, but logged in over 12 hours ago


def test_the_session_times_are_settings(apps: dict[str, Flask], backend: Backend) -> None:
    settings = load_settings(backend.env(ELO_SESSION_IDLE_MINUTES="15", ELO_SESSION_HOURS="8"))
    assert (settings.session_idle_minutes, settings.session_hours) == (15, 8)
    defaults = load_settings(backend.env())
    assert (defaults.session_idle_minutes, defaults.session_hours) == (120, 12)

    from services import events

    strict = events.create_app({"ELO_SETTINGS": settings, "TESTING": True})
    email = make_user()
    client = Client(strict)
    page = client.get("/admin/login")
    assert client.post("/admin/login", data={"email": email, "password": "correct horse battery",
                                             "csrf_token": csrf_from(page)}).status_code == 302
    assert client.get("/admin/").status_code == 200
    move_sessions(email, last_seen_at=dt.timedelta(minutes=16))
    assert client.get("/admin/").status_code == 302


def test_a_deleted_user_has_no_session(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    logged_in_client(client, email)
    with SERVICES[1].module().db.transaction() as session:
        session.execute(update(User).where(User.email == email).values(role="organizer"))
    assert client.get(HOME).status_code == 200  # the role is read on every request: still allowed here
    with SERVICES[1].module().db.transaction() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        session.delete(user)
    assert client.get(HOME).status_code == 302

