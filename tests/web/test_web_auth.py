"""The workspace's door: login, session, CSRF on every admin form, slow-down, roles, `elo create-user`.

Routes are discovered from each app's url_map (every rule of an admin blueprint), not listed by hand,
so a new admin page or form is covered the moment it is added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter
from werkzeug.test import Client

from services import SERVICES
from shared.models import User
from shared.web_auth import FREE_FAILURES, lock_seconds
from tests.conftest import Backend
from tests.web.conftest import PASSWORD, csrf_from, log_in, make_user

ADMIN_BLUEPRINTS = {"subscriptions": ("/newsletter", "newsletter_admin"), "events": ("/events", "events_admin")}


def admin_rules(app: Flask, blueprint: str, method: str) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{blueprint}.") and method in (rule.methods or set()):
            yield rule


def sample_path(rule: Rule) -> str:
    """The rule's path with every variable filled in (ids 1, other values 'x')."""
    path = rule.rule
    for argument in rule.arguments:
        converter = rule._converters[argument]
        value = "1" if isinstance(converter, NumberConverter) else "x"
        for candidate in (f"<int:{argument}>", f"<{argument}>", f"<string:{argument}>", f"<path:{argument}>"):
            path = path.replace(candidate, value)
    return path


def all_admin_rules(apps: dict[str, Flask], method: str) -> list[tuple[str, Rule]]:
    found = [(prefix, rule) for service, (prefix, blueprint) in ADMIN_BLUEPRINTS.items()
             for rule in admin_rules(apps[service], blueprint, method)]
    assert found, f"no admin {method} routes found"
    return found


def test_every_admin_page_without_login_redirects_to_the_login_page(apps: dict[str, Flask], client: Client) -> None:
    checked = 0
    for prefix, rule in all_admin_rules(apps, "GET"):
        if rule.endpoint.endswith(".login"):
            continue
        path = prefix + sample_path(rule)
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 302, f"{path} answered {response.status_code} without a login"
        location = urlsplit(response.headers["Location"])
        assert location.path == f"{prefix}/admin/login", path
        assert parse_qs(location.query)["next"] == [path], path
        checked += 1
    assert checked >= 10


def test_every_admin_form_without_a_valid_csrf_token_is_refused(
        apps: dict[str, Flask], logged_in: Callable[..., Client]) -> None:
    rules = all_admin_rules(apps, "POST")
    for prefix in {prefix for prefix, _rule in rules}:
        logged_in(prefix)
    client = logged_in("/events")
    users_before = _count_users()
    for prefix, rule in rules:
        path = prefix + sample_path(rule)
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
            response = client.post(path, data={**data, "email": "x@example.fi", "password": "x"},
                                   headers={"Accept": "text/html"})
            assert response.status_code == 400, f"POST {path} with {data} answered {response.status_code}"
    assert _count_users() == users_before
    assert len(rules) >= 8, [rule.rule for _prefix, rule in rules]


def test_every_admin_form_needs_a_login_even_with_a_valid_token(apps: dict[str, Flask], client: Client) -> None:
    checked = 0
    for prefix, rule in all_admin_rules(apps, "POST"):
        if rule.endpoint.endswith((".login", ".logout")):
            continue
        token = csrf_from(client.get(f"{prefix}/admin/login"))
        path = prefix + sample_path(rule)
        response = client.post(path, data={"csrf_token": token}, headers={"Accept": "text/html"})
        assert response.status_code == 302, f"POST {path} answered {response.status_code} without a login"
        assert urlsplit(response.headers["Location"]).path == f"{prefix}/admin/login"
        checked += 1
    assert checked >= 8


def _count_users() -> int:
    info = SERVICES[0]
    with info.module().db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def test_a_token_from_another_session_is_refused(apps: dict[str, Flask], client: Client,
                                                  settings: object) -> None:
    make_user()
    other = Client(client.application)
    stolen = csrf_from(other.get("/events/admin/login"))
    response = client.post("/events/admin/login", data={"email": "koordinaattori@example.fi", "password": PASSWORD,
                                                        "csrf_token": stolen})
    assert response.status_code == 400


def test_login_goes_to_next_and_logout_ends_the_session(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    first = client.get("/events/admin/events/new")
    assert first.status_code == 302
    page = client.get(first.headers["Location"])
    response = client.post("/events/admin/login", data={"email": email.upper(), "password": PASSWORD,
                                                        "csrf_token": csrf_from(page),
                                                        "next": "/events/admin/events/new"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/admin/events/new"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    dashboard = client.get("/events/admin/")
    assert dashboard.status_code == 200
    assert client.post("/events/admin/logout", data={"csrf_token": csrf_from(dashboard)}).status_code == 302
    assert client.get("/events/admin/").status_code == 302


def test_next_never_leaves_the_workspace(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    for target in ("https://evil.example/", "//evil.example/admin/", "/mailer/outbox/", "/newsletter/archive/",
                   "/events/admin/../../mailer/outbox/", "\\\\evil.example"):
        fresh = Client(client.application)
        page = fresh.get("/events/admin/login")
        response = fresh.post("/events/admin/login", data={"email": email, "password": PASSWORD,
                                                            "csrf_token": csrf_from(page), "next": target})
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/events/admin/", target


def test_wrong_passwords_slow_down_the_account(apps: dict[str, Flask], client: Client) -> None:
    email = make_user()
    for _attempt in range(FREE_FAILURES):
        response = log_in(client, "/events", email, "wrong password!")
        assert response.status_code == 200
        assert "not right" in response.get_data(as_text=True)
    # Locked now: even the right password waits, and the page says how long.
    locked = log_in(client, "/events", email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    with SERVICES[1].module().db.transaction() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        assert user.failed_logins == FREE_FAILURES
        assert user.locked_until is not None
    assert lock_seconds(FREE_FAILURES) == 30
    assert lock_seconds(FREE_FAILURES + 1) == 60
    assert lock_seconds(50) == 15 * 60


def test_unknown_addresses_are_slowed_down_like_known_ones(apps: dict[str, Flask], client: Client) -> None:
    for attempt in range(FREE_FAILURES + 1):
        response = log_in(client, "/newsletter", "nobody@example.fi", "wrong password!")
        expected = 429 if attempt == FREE_FAILURES else 200
        assert response.status_code == expected


def test_roles_decide_what_a_user_sees(apps: dict[str, Flask], client: Client) -> None:
    editor = make_user("toimittaja@example.fi", "editor")
    assert log_in(client, "/newsletter", editor).status_code == 302
    assert client.get("/newsletter/admin/articles").status_code == 200
    assert client.get("/newsletter/admin/subscribers").status_code == 403
    # One login for the whole workspace: an organizer may log in at the newsletter's login page, lands in
    # the events workspace, and the newsletter's pages stay closed to them.
    organizer = make_user("jarjestaja@example.fi", "organizer")
    browser = Client(client.application)
    landed = log_in(browser, "/newsletter", organizer)
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/events/admin/"
    assert browser.get("/newsletter/admin/articles").status_code == 403


def test_create_user_writes_the_user_into_every_service(apps: dict[str, Flask], backend: Backend,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from services.cli import main

    for name, value in backend.env(ELO_NEW_USER_PASSWORD="a long enough password").items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["create-user", "--email", "Koordinaattori@ELY.fi", "--role", "coordinator"])
    assert result.exit_code == 0, result.output
    for info in SERVICES:
        with info.module().db.transaction() as session:
            user = session.scalar(select(User).where(User.email == "koordinaattori@ely.fi"))
            assert user is not None
            assert user.role == "coordinator"
            assert user.password_hash.startswith("$argon2id$")
    monkeypatch.setenv("ELO_NEW_USER_PASSWORD", "short")
    short = CliRunner().invoke(main, ["create-user", "--email", "x@example.fi", "--role", "editor"])
    assert short.exit_code == 2
    assert "at least" in short.output


def test_the_session_cookie_is_secure_behind_https(apps: dict[str, Flask], backend: Backend) -> None:
    from services import events
    from shared.settings import load_settings

    email = make_user()
    https_app = events.create_app({"ELO_SETTINGS": load_settings(backend.env(ELO_BASE_URL="https://elo.example.fi")),
                                   "TESTING": True})
    client = Client(https_app)
    page = client.get("/admin/login", base_url="https://elo.example.fi/events")
    response = client.post("/admin/login", base_url="https://elo.example.fi/events",
                           data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
