import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.settings import SettingsError, load_settings, require_mail_relay, served_url

ROOT = Path(__file__).parents[2]


def test_defaults_are_embedded(tmp_path):
    settings = load_settings({"ELO_DATA_DIR": str(tmp_path)})
    assert settings.embedded_broker
    assert settings.captures_mail
    assert settings.database_url("events") == f"sqlite:///{tmp_path / 'events.db'}"
    assert settings.primary_language == "fi"


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path):
    first = load_settings({"ELO_DATA_DIR": str(tmp_path)}).secret_key
    second = load_settings({"ELO_DATA_DIR": str(tmp_path)}).secret_key
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("ELO_BROKER_URL", "foo://x", "scheme 'foo' is not supported"),
    ("ELO_SMTP_URL", "http://mail", "is not smtp://"),
    ("ELO_MAIL_RATE", "fast", "'fast' is not a number"),
    ("ELO_MAIL_RATE", "-1", "greater than zero"),
    ("ELO_PRIMARY_LANGUAGE", "de", "'de' is not one of fi, sv, en"),
    ("ELO_EVENTS_DATABASE_URL", "mysql://x/y", "scheme 'mysql' is not supported"),
    ("ELO_BASE_URL", "ftp://x", "is not an http"),
    ("ELO_SECRET_KEY", "short", "at least 16"),
    ("ELO_DKIM_DOMAIN", "example.org", "DKIM needs all three"),
])
def test_a_wrong_setting_names_the_variable(tmp_path, variable, value, words):
    with pytest.raises(SettingsError) as raised:
        load_settings({"ELO_DATA_DIR": str(tmp_path), variable: value})
    assert str(raised.value).startswith(variable.replace("ELO_DKIM_DOMAIN", "ELO_DKIM_SELECTOR") + ": ")
    assert words in str(raised.value)


def test_postgres_urls_use_psycopg(tmp_path):
    settings = load_settings({"ELO_DATA_DIR": str(tmp_path), "ELO_MAILER_DATABASE_URL": "postgresql://u@h/db"})
    assert settings.database_url("mailer") == "postgresql+psycopg://u@h/db"


def test_elo_up_with_a_wrong_setting_stops_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "up"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "ELO_DATA_DIR": str(tmp_path), "ELO_BROKER_URL": "foo://x"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "elo: setting ELO_BROKER_URL: scheme 'foo' is not supported; use amqp://, redis:// or unset"]


def test_every_setting_is_documented_in_env_example():
    documented = (ROOT / ".env.example").read_text()
    source = (ROOT / "shared" / "settings.py").read_text()
    used = set(re.findall(r'"(ELO_[A-Z_]+)"', source)) | {
        f"ELO_{s}_{kind}" for s in ("SUBSCRIPTIONS", "EVENTS", "MAILER") for kind in ("DATABASE_URL", "URL")}
    missing = sorted(name for name in used if name not in documented)
    assert missing == []


def test_the_data_dir_is_the_checkouts_var_whatever_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"ELO_SECRET_KEY": "s" * 32})
    assert settings.data_dir == ROOT / "var"
    assert settings.database_url("events") == f"sqlite:///{ROOT / 'var' / 'events.db'}"
    # A relative ELO_DATA_DIR is the user's own choice: taken from the working directory.
    assert load_settings({"ELO_DATA_DIR": "data", "ELO_SECRET_KEY": "s" * 32}).data_dir == tmp_path / "data"


def test_outside_a_checkout_the_data_dir_is_the_users(tmp_path, monkeypatch):
    installed = tmp_path / "site-packages" / "shared"
    installed.mkdir(parents=True)
    shutil.copy(ROOT / "shared" / "settings.py", installed / "settings.py")
    spec = importlib.util.spec_from_file_location("installed_settings", installed / "settings.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "installed_settings", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    assert module.data_dir_of({"XDG_DATA_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "elo-network"
    assert module.data_dir_of({"HOME": str(tmp_path)}) == tmp_path / ".local" / "share" / "elo-network"


@pytest.mark.parametrize(("host", "port", "url"), [
    ("127.0.0.1", 8101, "http://127.0.0.1:8101"),
    ("0.0.0.0", 8000, "http://127.0.0.1:8000"),  # noqa: S104 - a host name compared, not bound
    ("::", 8000, "http://[::1]:8000"),
    ("::1", 9000, "http://[::1]:9000"),
    ("elo.local", 80, "http://elo.local:80"),
])
def test_links_follow_the_address_served_unless_elo_base_url(tmp_path, host, port, url):
    served = served_url(host, port)
    assert served == url
    assert load_settings({"ELO_DATA_DIR": str(tmp_path)}, served_at=served).base_url == url
    given = {"ELO_DATA_DIR": str(tmp_path), "ELO_BASE_URL": "https://elo.example.fi/"}
    assert load_settings(given, served_at=served).base_url == "https://elo.example.fi"


def test_production_processes_need_a_relay_or_an_explicit_capture(tmp_path):
    base = {"ELO_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match=r"^ELO_SMTP_URL: not set; .*ELO_CAPTURE_MAIL=1"):
        require_mail_relay(load_settings(base))
    require_mail_relay(load_settings({**base, "ELO_SMTP_URL": "smtp://relay.example.fi:587"}))
    captured = load_settings({**base, "ELO_CAPTURE_MAIL": "1"})
    require_mail_relay(captured)
    assert captured.captures_mail
    with pytest.raises(SettingsError, match=r"^ELO_CAPTURE_MAIL: 'maybe' is not 1 or 0"):
        load_settings({**base, "ELO_CAPTURE_MAIL": "maybe"})
