"""services.wsgi: the production entry points, trusting the proxy only when told to, and refusing to start
without a mail relay (or ELO_CAPTURE_MAIL=1)."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from services import wsgi
from shared.settings import SettingsError, load_settings
from tests.conftest import TEST_SECRET_KEY

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "elo.example.fi"}


@pytest.mark.parametrize(("hops", "trusted"), [("0", False), ("1", True)])
def test_forwarded_headers_count_only_behind_a_configured_proxy(monkeypatch: pytest.MonkeyPatch, tmp_path: object,
                                                                hops: str, trusted: bool) -> None:
    monkeypatch.setenv("ELO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ELO_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("ELO_PROXY_HOPS", hops)
    monkeypatch.setenv("ELO_CAPTURE_MAIL", "1")
    response = Client(wsgi.create("landing")).get("/?lang=sv", headers=FORWARDED)

    assert response.status_code == 200
    # The language cookie is Secure exactly when the request is known to have come over https.
    assert ("Secure" in response.headers["Set-Cookie"]) is trusted


def test_a_wrong_proxy_count_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="ELO_PROXY_HOPS: 'one' is not a whole number"):
        load_settings({"ELO_PROXY_HOPS": "one", "ELO_SECRET_KEY": TEST_SECRET_KEY})
    assert load_settings({"ELO_SECRET_KEY": TEST_SECRET_KEY}).proxy_hops == 0


@pytest.mark.parametrize("service", ["landing", "mailer"])
def test_without_a_mail_relay_a_web_process_refuses_to_start_with_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object, service: str) -> None:
    monkeypatch.setenv("ELO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ELO_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.delenv("ELO_SMTP_URL", raising=False)
    monkeypatch.delenv("ELO_CAPTURE_MAIL", raising=False)
    with pytest.raises(SystemExit) as refused:
        wsgi.create(service)

    assert refused.value.code == wsgi.APP_LOAD_ERROR  # gunicorn stops instead of booting workers again and again
    assert capsys.readouterr().err.splitlines() == [
        "elo: setting ELO_SMTP_URL: not set; production processes need an SMTP server "
        "(set ELO_CAPTURE_MAIL=1 to keep mail in the outbox instead)"]
