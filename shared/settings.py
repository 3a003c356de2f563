"""Settings from `ELO_*` environment variables, coerced and validated once at start.

A wrong value raises `SettingsError`, whose message is one line naming the variable.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

LANGUAGES = ("fi", "sv", "en")
# Each service and the URL prefix it answers under, in the embedded run and behind nginx alike.
SERVICE_PREFIXES = {"subscriptions": "/newsletter", "events": "/events", "mailer": "/mailer"}
SERVICES = tuple(SERVICE_PREFIXES)
# The demo network's name and address in sv and en: the defaults while ELO_NETWORK_NAME / ELO_POSTAL_ADDRESS are unset.
DEMO_NETWORK_NAMES = {"sv": "Norra Österbottens ELO-nätverk", "en": "North Ostrobothnia ELO network"}
DEMO_POSTAL_ADDRESSES = {"sv": "Livskraftscentralen, PB 86, 90101 Uleåborg",
                         "en": "Vitality Centre, P.O. Box 86, 90101 Oulu"}
# Who may read /<prefix>/metrics without a token: loopback and the private ranges a scraper sits in.
METRICS_ALLOW_DEFAULT = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


class SettingsError(ValueError):
    """A setting has a value the system cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    secret_key: str
    base_url: str
    database_urls: Mapping[str, str]
    broker_url: str | None
    smtp_url: str | None
    mail_from: str
    network_name: str
    mail_rate: float | None
    redis_url: str | None
    dkim_domain: str | None
    dkim_selector: str | None
    dkim_key_file: Path | None
    bounce_secret: str | None
    primary_language: str
    postal_address: str
    outbox_resend_after: float
    # The coordinator's address on the contact, privacy and accessibility pages ("" = not shown).
    contact_email: str = ""
    # The name and postal address in sv and en (ELO_NETWORK_NAME_SV, …); a language not here gets the fi ones.
    network_names: Mapping[str, str] = field(default_factory=dict)
    postal_addresses: Mapping[str, str] = field(default_factory=dict)
    service_urls: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)
    # How many reverse proxies (nginx, a TLS terminator) stand in front of gunicorn and are trusted
    # for X-Forwarded-For/-Proto/-Host; 0 = none (the embedded run, which is reached directly).
    proxy_hops: int = 0
    # Event registrations accepted from one client address per 15 minutes (an office behind one
    # NAT registering together needs room; a script filling the list does not get it).
    registrations_per_ip: int = 40
    # A workspace session ends after this long without a request, and in any case this long after login.
    session_idle_minutes: int = 120
    session_hours: int = 12
    # How long an event registration holds a seat unconfirmed (`pending`) before the seat goes to the
    # next person; close to the event the hold is shorter (never past a quarter of the time left).
    registration_hold_minutes: int = 24 * 60
    # Mail caused by what an unknown person typed (confirmations, receipts, links asked for) that one
    # address gets per 24 hours, from the whole system; more is not sent.
    anonymous_mail_per_day: int = 3
    # ELO_CAPTURE_MAIL=1: a production process without ELO_SMTP_URL keeps mail in the mailer's database
    # instead of refusing to start (`require_mail_relay`). The embedded run captures without it.
    capture_mail: bool = False
    # Clients (after the trusted proxies) that may read /<prefix>/metrics; others need the token, if one is set.
    metrics_allow: tuple[IPv4Network | IPv6Network, ...] = ()
    metrics_token: str | None = None
    # The default network's slug: its pages answer at /<slug>/newsletter/… as well as at /newsletter/….
    network_slug: str = "pohjois-pohjanmaa"
    # ELO_INBOUND_PORT: the port `elo inbound` (and `elo up`) receives mail on; unset = no listener, and
    # mail goes out without per-message bounce addresses. ELO_INBOUND_DOMAIN: the domain of those
    # addresses (unset = the domain of ELO_MAIL_FROM). A soft-bouncing address is suppressed after
    # ELO_SOFT_BOUNCE_LIMIT messages that soft-bounced.
    inbound_port: int | None = None
    inbound_domain: str | None = None
    soft_bounce_limit: int = 3

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url is None

    @property
    def captures_mail(self) -> bool:
        return self.smtp_url is None

    def database_url(self, service: str) -> str:
        return self.database_urls[service]

    def network_name_in(self, language: str) -> str:
        return self.network_names.get(language) or self.network_name

    def postal_address_in(self, language: str) -> str:
        return self.postal_addresses.get(language) or self.postal_address


def load_settings(env: Mapping[str, str] | None = None, *, served_at: str | None = None) -> Settings:
    """Read and check every `ELO_*` variable; raise `SettingsError` on the first bad one.

    `served_at` (`elo up`: the address it serves, see `served_url`) is the base URL when ELO_BASE_URL is unset."""
    env = os.environ if env is None else env
    data_dir = data_dir_of(env)
    return Settings(
        data_dir=data_dir,
        secret_key=_secret_key(env, data_dir),
        base_url=_http_url(env, "ELO_BASE_URL", served_at or "http://127.0.0.1:8000").rstrip("/"),
        database_urls={service: _database_url(env, service, data_dir) for service in SERVICES},
        broker_url=_broker_url(env),
        smtp_url=_smtp_url(env),
        mail_from=_mail_from(env),
        network_name=env.get("ELO_NETWORK_NAME") or "Pohjois-Pohjanmaan ELO-verkosto",
        network_slug=env.get("ELO_NETWORK_SLUG") or "pohjois-pohjanmaa",
        mail_rate=_positive_float(env, "ELO_MAIL_RATE"),
        redis_url=_redis_url(env),
        dkim_domain=env.get("ELO_DKIM_DOMAIN") or None,
        dkim_selector=env.get("ELO_DKIM_SELECTOR") or None,
        dkim_key_file=_dkim_key_file(env),
        bounce_secret=env.get("ELO_BOUNCE_SECRET") or None,
        primary_language=_language(env),
        postal_address=env.get("ELO_POSTAL_ADDRESS") or "Elinvoimakeskus, PL 86, 90101 Oulu",
        outbox_resend_after=_positive_float(env, "ELO_OUTBOX_RESEND_AFTER") or 3600.0,
        contact_email=_contact_email(env),
        network_names=_per_language(env, "ELO_NETWORK_NAME", DEMO_NETWORK_NAMES),
        postal_addresses=_per_language(env, "ELO_POSTAL_ADDRESS", DEMO_POSTAL_ADDRESSES),
        service_urls=_service_urls(env),
        proxy_hops=_proxy_hops(env),
        registrations_per_ip=int(_positive_float(env, "ELO_REGISTRATIONS_PER_IP") or 40),
        session_idle_minutes=int(_positive_float(env, "ELO_SESSION_IDLE_MINUTES") or 120),
        session_hours=int(_positive_float(env, "ELO_SESSION_HOURS") or 12),
        registration_hold_minutes=int(_positive_float(env, "ELO_REGISTRATION_HOLD_MINUTES") or 24 * 60),
        anonymous_mail_per_day=int(_positive_float(env, "ELO_ANONYMOUS_MAIL_PER_DAY") or 3),
        capture_mail=_flag(env, "ELO_CAPTURE_MAIL"),
        metrics_allow=_metrics_allow(env),
        metrics_token=_metrics_token(env),
        inbound_port=_port(env, "ELO_INBOUND_PORT"),
        inbound_domain=_domain(env, "ELO_INBOUND_DOMAIN"),
        soft_bounce_limit=int(_positive_float(env, "ELO_SOFT_BOUNCE_LIMIT") or 3),
    )


def data_dir_of(env: Mapping[str, str]) -> Path:
    """ELO_DATA_DIR, or one place whatever the working directory: `var/` of the project checkout this
    code runs from (pyproject.toml beside `shared/` and `services/`), else the user's data directory."""
    given = env.get("ELO_DATA_DIR")
    if given:
        return Path(given).expanduser().resolve()
    # absolute(), not resolve(): a checkout reached through a symlink keeps its data beside it.
    checkout = Path(__file__).absolute().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "services").is_dir():
        return checkout / "var"
    user_data = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return Path(user_data).expanduser().absolute() / "elo-network"


def served_url(host: str, port: int) -> str:
    """The base URL for links when `elo up` serves on `host`:`port` (all interfaces: this machine's loopback)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104 - compared, not bound
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def require_mail_relay(settings: Settings) -> None:
    """Production processes (gunicorn, `elo worker`, `elo scheduler`) send mail out, or are told not to."""
    if settings.smtp_url is None and not settings.capture_mail:
        raise SettingsError("ELO_SMTP_URL", "not set; production processes need an SMTP server "
                                            "(set ELO_CAPTURE_MAIL=1 to keep mail in the outbox instead)")


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    given = env.get("ELO_SECRET_KEY")
    if given:
        if len(given) < 16:
            raise SettingsError("ELO_SECRET_KEY", "must be at least 16 characters long")
        return given
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(name, f"'{value}' is not an http:// or https:// address")
    return value


def _service_urls(env: Mapping[str, str]) -> dict[str, str]:
    """Where to reach each service over HTTP; unset = in this process (embedded run)."""
    urls = {}
    for service in SERVICES:
        name = f"ELO_{service.upper()}_URL"
        if env.get(name):
            urls[service] = _http_url(env, name, "")
    return urls


def _database_url(env: Mapping[str, str], service: str, data_dir: Path) -> str:
    name = f"ELO_{service.upper()}_DATABASE_URL"
    value = env.get(name)
    if not value:
        return f"sqlite:///{data_dir / (service + '.db')}"
    scheme = urlsplit(value).scheme
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg" + value[len(scheme) :]
    if scheme in ("postgresql+psycopg", "sqlite"):
        return value
    raise SettingsError(name, f"scheme '{scheme}' is not supported; use postgresql:// or sqlite:///")


def _broker_url(env: Mapping[str, str]) -> str | None:
    value = env.get("ELO_BROKER_URL") or None
    if value is None:
        return None
    scheme = urlsplit(value).scheme
    if scheme not in ("amqp", "amqps", "redis", "rediss"):
        raise SettingsError("ELO_BROKER_URL", f"scheme '{scheme}' is not supported; use amqp://, redis:// or unset")
    return value


def _smtp_url(env: Mapping[str, str]) -> str | None:
    value = env.get("ELO_SMTP_URL") or None
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError("ELO_SMTP_URL", f"'{parts.scheme}://…' is not smtp://[user:pass@]host:port")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise SettingsError("ELO_SMTP_URL", "the port is not a number") from error
    return value


def _redis_url(env: Mapping[str, str]) -> str | None:
    value = env.get("ELO_REDIS_URL") or None
    if value is not None and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError("ELO_REDIS_URL", "must start with redis://, rediss:// or unix://")
    return value


def _mail_from(env: Mapping[str, str]) -> str:
    value = env.get("ELO_MAIL_FROM") or "ELO-verkosto <noreply@localhost>"
    _, address = parseaddr(value)
    if "@" not in address:
        raise SettingsError("ELO_MAIL_FROM", f"'{value}' has no email address")
    return value


def _per_language(env: Mapping[str, str], name: str, demo: Mapping[str, str]) -> dict[str, str]:
    """`<name>_SV` and `<name>_EN`; unset, the demo network's while `<name>` is unset too, else the fi one."""
    values = {language: (env.get(f"{name}_{language.upper()}") or "").strip() for language in ("sv", "en")}
    if not env.get(name):
        values = {language: value or demo[language] for language, value in values.items()}
    return {language: value for language, value in values.items() if value}


def _contact_email(env: Mapping[str, str]) -> str:
    value = (env.get("ELO_CONTACT_EMAIL") or "").strip()
    if value and ("@" not in value or parseaddr(value)[1] != value):
        raise SettingsError("ELO_CONTACT_EMAIL", f"'{value}' is not an email address")
    return value


def _positive_float(env: Mapping[str, str], name: str) -> float | None:
    value = env.get(name)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError as error:
        raise SettingsError(name, f"'{value}' is not a number") from error
    if number <= 0:
        raise SettingsError(name, "must be greater than zero")
    return number


def _port(env: Mapping[str, str], name: str) -> int | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(name, f"'{value}' is not a port number (1-65535)")
    return int(value)


def _domain(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip().lower()
    if value and not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", value):
        raise SettingsError(name, f"'{value}' is not a domain name")
    return value or None


def _proxy_hops(env: Mapping[str, str]) -> int:
    value = env.get("ELO_PROXY_HOPS") or "0"
    if not value.isdigit():
        raise SettingsError("ELO_PROXY_HOPS", f"'{value}' is not a whole number of proxies (0, 1, 2…)")
    return int(value)


def _metrics_allow(env: Mapping[str, str]) -> tuple[IPv4Network | IPv6Network, ...]:
    # Unset or empty (as compose passes an unset variable): the default; "none": the token only.
    value = env.get("ELO_METRICS_ALLOW") or METRICS_ALLOW_DEFAULT
    if value.strip().lower() == "none":
        return ()
    try:
        return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
    except ValueError as error:
        raise SettingsError("ELO_METRICS_ALLOW", f"{error} (give networks like 10.0.0.0/8, comma-separated)") from error


def _metrics_token(env: Mapping[str, str]) -> str | None:
    value = env.get("ELO_METRICS_TOKEN") or None
    if value is not None and len(value) < 16:
        raise SettingsError("ELO_METRICS_TOKEN", "must be at least 16 characters long")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "0").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError(name, f"'{value}' is not 1 or 0")
    return value in ("1", "true", "yes")


def _language(env: Mapping[str, str]) -> str:
    value = env.get("ELO_PRIMARY_LANGUAGE") or "fi"
    if value not in LANGUAGES:
        raise SettingsError("ELO_PRIMARY_LANGUAGE", f"'{value}' is not one of {', '.join(LANGUAGES)}")
    return value


def _dkim_key_file(env: Mapping[str, str]) -> Path | None:
    names = ("ELO_DKIM_DOMAIN", "ELO_DKIM_SELECTOR", "ELO_DKIM_KEY_FILE")
    given = [name for name in names if env.get(name)]
    if given and len(given) != len(names):
        missing = next(name for name in names if name not in given)
        raise SettingsError(missing, "DKIM needs all three of ELO_DKIM_DOMAIN, ELO_DKIM_SELECTOR, ELO_DKIM_KEY_FILE")
    if not given:
        return None
    path = Path(env["ELO_DKIM_KEY_FILE"])
    if not path.is_file():
        raise SettingsError("ELO_DKIM_KEY_FILE", f"no file at {path}")
    return path
