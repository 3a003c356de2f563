"""Behind a proxy (ELO_PROXY_HOPS) a request that came over https (X-Forwarded-Proto: https) gets
Secure cookies and an HSTS header, in production (services.wsgi) and in the embedded run (`elo up`)
alike; without a trusted proxy the forwarded header changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client, TestResponse

from services import wsgi
from services.cli import embedded_wsgi
from shared.settings import load_settings
from tests.conftest import Backend
from tests.deploy.test_embedded import embedded_env, listening_port
from tests.reliability.conftest import REPO
from tests.web.conftest import PASSWORD, csrf_from, make_user

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "elo.example.fi"}


def cookies(response: TestResponse) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def log_in_over(client: Client, headers: dict[str, str]) -> tuple[TestResponse, TestResponse]:
    email = make_user()
    page = client.get("/events/admin/login", headers=headers)
    response = client.post("/events/admin/login", headers=headers,
                           data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return page, response


def assert_https_answers(app: Any) -> None:
    page, login = log_in_over(Client(app), HTTPS)
    for response in (page, login):
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in cookies(page)["elo_events_session"]
    assert "Secure" in cookies(login)["elo_events_session"]
    assert "Secure" in cookies(login)["elo_events_device"]
    assert "Secure" in cookies(login)["elo_workspace"]  # the one workspace login cookie
    landing = Client(app).get("/events/?lang=sv", headers=HTTPS)
    assert "Strict-Transport-Security" in landing.headers


def assert_plain_answers(app: Any, headers: dict[str, str]) -> None:
    page, login = log_in_over(Client(app), headers)
    for response in (page, login):
        assert "Strict-Transport-Security" not in response.headers
        for cookie in cookies(response).values():
            assert "Secure" not in cookie


def test_https_behind_the_proxy_gets_secure_cookies_and_hsts_via_the_wsgi_entry(
        apps: dict[str, Flask], backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in backend.env(ELO_PROXY_HOPS="1", ELO_CAPTURE_MAIL="1").items():
        monkeypatch.setenv(name, value)
    app = wsgi.create("events")
    assert_https_answers(app)
    assert_plain_answers(app, {"X-Forwarded-Proto": "http"})


def test_forwarded_https_is_not_believed_without_a_trusted_proxy(apps: dict[str, Flask], backend: Backend,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in backend.env(ELO_PROXY_HOPS="0", ELO_CAPTURE_MAIL="1").items():
        monkeypatch.setenv(name, value)
    assert_plain_answers(wsgi.create("events"), HTTPS)
    assert_plain_answers(embedded_wsgi(load_settings(backend.env())), HTTPS)


def test_https_behind_the_proxy_gets_secure_cookies_and_hsts_in_the_embedded_run(apps: dict[str, Flask],
                                                                                 backend: Backend) -> None:
    app = embedded_wsgi(load_settings(backend.env(ELO_PROXY_HOPS="1")))
    assert_https_answers(app)
    assert_plain_answers(app, {})


def _get(url: str, headers: dict[str, str]) -> Message:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local test server
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.headers  # type: ignore[no-any-return]


def test_elo_up_honours_the_proxy_setting(tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    env = {**embedded_env(tmp_path / "var"), "ELO_PROXY_HOPS": "1"}
    with log.open("wb") as output:
        up = subprocess.Popen([sys.executable, "-m", "services.cli", "up", "--port", "0"], cwd=REPO, env=env,
                              stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        port = None
        while port is None and time.monotonic() < deadline and up.poll() is None:
            port = listening_port(up.pid)
            if port is None:
                time.sleep(0.2)
        assert port is not None, log.read_text()
        url = f"http://127.0.0.1:{port}/newsletter/admin/login"
        secure = _get(url, HTTPS)
        assert secure["Strict-Transport-Security"].startswith("max-age=")
        assert "Secure" in secure["Set-Cookie"]
        plain = _get(url, {})
        assert plain["Strict-Transport-Security"] is None
        assert "Secure" not in plain["Set-Cookie"]
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
