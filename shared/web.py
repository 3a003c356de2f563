"""The skeleton every app shares: config from settings, problem+json errors, fi/sv/en, the shared
templates and stylesheet, security headers, template globals and date filters; and for a service
also its database, its API with `/api/docs`, and `/healthz`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Config, Flask, Response, current_app, g, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_smorest.spec.plugins import integerconverter2paramschema
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.routing import IntegerConverter

from shared import apps, ops
from shared.auth import authorize
from shared.db import Database, current_database
from shared.errors import DomainError, InvalidInput, ProblemApi, register_error_handlers
from shared.formatting import format_date, format_datetime, parse_moment
from shared.i18n import LANGUAGE_NAMES, init_i18n
from shared.logs import init_request_ids
from shared.metrics import init_metrics
from shared.network_registry import REGISTRY_KEY, registry_of
from shared.networks import NETWORK_ENVIRON, current_network, enter_network, leave_network, settings_for
from shared.schemas import MAX_DATABASE_ID
from shared.settings import LANGUAGES, Settings, load_settings
from shared.transport import broker_answers
from shared.workspace_nav import site_root

SHARED_DIR = Path(__file__).parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:…>` limited to what an INTEGER column holds: a larger id is a 404, not a database error (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


# What a request of another network reads differently from the app's config (`shared.networks`).
_NETWORK_KEYS = frozenset({"ELO_SETTINGS", "BASE_URL", "NETWORK_NAME", "PRIMARY_LANGUAGE"})


class NetworkConfig(Config):
    """The app's config, as the current network sees it: its settings (`settings_for`), base URL under
    /<slug>, name and first language. The default network reads the config as it was given."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        network = current_network()
        if network is None or key not in _NETWORK_KEYS:
            return value
        settings = settings_for(super().__getitem__("ELO_SETTINGS"), network)
        return {"ELO_SETTINGS": settings, "BASE_URL": settings.base_url, "NETWORK_NAME": settings.network_name,
                "PRIMARY_LANGUAGE": settings.primary_language}[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 - dict.get would skip __getitem__


class EloFlask(Flask):
    config_class = NetworkConfig


def network_of_this_request() -> None:
    """The request's network (`NetworkPaths` put it in the environ); a request that did not come
    through it (a test client on one app) is the default network's. Until the request ends: a request
    made in process by another request (`shared.internal`) gives the caller its own network back."""
    g.elo_network_token = enter_network(request.environ.get(NETWORK_ENVIRON))


def end_network_of_this_request(_exc: BaseException | None) -> None:
    token = g.pop("elo_network_token", None)
    if token is not None:
        leave_network(token)


def create_service_app(*, service: str, import_name: str, prefix: str, db: Database, title: str,
                       service_dir: Path, config: Mapping[str, Any] | None = None,
                       translation_dirs: list[Path] | None = None) -> tuple[Flask, ProblemApi]:
    """The app skeleton each service's `create_app` fills with its blueprints."""
    config = dict(config or {})
    settings: Settings = config.pop("ELO_SETTINGS", None) or load_settings()
    app = create_page_app(import_name, service_dir, {**_config_from(settings, service, prefix, title), **config},
                          translation_dirs)
    app.url_map.converters["int"] = DatabaseIntegerConverter
    init_metrics(app)  # before the input check: refused requests are counted and timed too
    db.init_app(app)
    app.extensions[REGISTRY_KEY] = registry_of(db)
    api = ProblemApi(app, spec_kwargs={"info": {"description": f"{title} of {settings.network_name}. {INPUT_RULES}"}})
    api.register_converter(DatabaseIntegerConverter, integerconverter2paramschema)  # documents the maximum
    register_error_handlers(app)  # again: ProblemApi registered its own HTTPException handler
    app.extensions["elo_api"] = api
    api.register_blueprint(ops.blueprint)
    app.add_url_rule("/healthz", "healthz", _healthz)
    app.add_url_rule("/api/docs", "api_docs", _api_docs)
    app.before_request(check_request_input)
    apps.set_app(service, app)
    return app, api


def create_page_app(import_name: str, directory: Path, config: Mapping[str, Any],
                    translation_dirs: list[Path] | None = None) -> Flask:
    """A Flask app that shows pages the way every part of the site does: templates from
    `directory/templates`, then the shared ones; the shared stylesheet; problem errors; fi/sv/en;
    security headers; the shared template globals and date filters. (Services and the landing page.)"""
    app = EloFlask(import_name, static_folder=str(SHARED_DIR / "static"),
                   template_folder=str(directory / "templates"))
    app.before_request(network_of_this_request)  # first: every other hook reads the network's config
    app.teardown_request(end_network_of_this_request)
    init_request_ids(app)  # every other hook's log lines carry the request id
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(directory / "templates")),
                                     FileSystemLoader(str(SHARED_DIR / "templates"))])
    app.config.update(config)
    app.session_interface = HttpsAwareSessionInterface()
    register_error_handlers(app)
    init_i18n(app, translation_dirs or [directory / "translations"])
    app.after_request(security_headers)
    app.context_processor(template_globals)
    app.jinja_env.filters.update(local_datetime=local_datetime, local_date=local_date)
    return app


def page_config(settings: Settings) -> dict[str, Any]:
    """What every app that shows pages reads from the settings (services and the landing page)."""
    return {
        "ELO_SETTINGS": settings,
        "SECRET_KEY": settings.secret_key,
        "PRIMARY_LANGUAGE": settings.primary_language,
        "NETWORK_NAME": settings.network_name,
    }


def _config_from(settings: Settings, service: str, prefix: str, title: str) -> dict[str, Any]:
    secure = settings.base_url.startswith("https://")
    return {
        **page_config(settings),
        "SERVICE": service,
        "URL_PREFIX": prefix,
        "DATABASE_URL": settings.database_url(service),
        "BROKER_URL": settings.broker_url,
        "BASE_URL": settings.base_url,
        "API_TITLE": title,
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "SESSION_COOKIE_NAME": f"elo_{service}_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "JSON_SORT_KEYS": False,
    }


def _healthz() -> tuple[Response, int]:
    database_ok = current_database().ping()
    broker_ok = broker_answers(current_app.config["BROKER_URL"])
    healthy = database_ok and broker_ok
    body = {"status": "ok" if healthy else "unavailable", "service": current_app.config["SERVICE"],
            "database": "ok" if database_ok else "down", "broker": "ok" if broker_ok else "down"}
    return jsonify(body), 200 if healthy else 503


def _api_docs() -> str:
    spec = current_app.extensions["elo_api"].spec.to_dict()
    return render_template("api_docs.html", spec=spec)


NUL = "\x00"
MAX_JSON_DEPTH = 32
INPUT_RULES = (f"Every request: no text (JSON string or key, query or form value) may hold NUL (\\u0000) or an "
               f"unpaired UTF-16 surrogate (422 naming the field); JSON nests at most {MAX_JSON_DEPTH} levels (400); "
               "an operation that needs a token checks it first (401/403 whatever the input). A field whose "
               "`x-rule` states a rule beyond its type (a cross-field check or a lookup) is a 422 when it breaks it.")


def check_request_input() -> None:
    """Refuse input no person sends and no database stores, before any view reads it (4xx, never a 500):
    JSON nested deeper than MAX_JSON_DEPTH, a NUL character (PostgreSQL text cannot hold it) and a lone
    UTF-16 surrogate ("\\ud800": no UTF-8 encoding exists, so hashing or storing it fails) in any field.
    An API view guarded by `require_role` authenticates first: no token is a 401, whatever the body."""
    _authenticate_first()
    fields = [name for name, value in [*request.args.items(multi=True), *request.form.items(multi=True)]
              if _unstorable(name) or _unstorable(value)]
    if request.is_json:
        fields += _unstorable_json_fields(_json_body())
    if fields:
        message = "Remove the NUL character (\\u0000) or the unpaired surrogate (\\ud800-\\udfff)."
        raise InvalidInput("Check these fields: " + ", ".join(sorted(set(fields))) + ".",
                           errors={name or "_body": [message] for name in fields})


def _authenticate_first() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = request.method.lower()
        view = getattr(view_class, "get" if method == "head" else method, None)
    roles = getattr(view, "required_roles", None)  # set by shared.auth.require_role
    if roles is not None:
        authorize(roles)
    check = getattr(view, "authenticate_first", None)  # a view's own credential check (a webhook secret)
    if callable(check):
        check()


def _json_body() -> Any:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
        too_deep = True
    else:
        too_deep = _depth(body) > MAX_JSON_DEPTH
    if too_deep:
        raise DomainError(f"The JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels).")
    if body is None and request.get_data(cache=True).strip() not in (b"", b"null"):
        raise DomainError("The body is not valid JSON.")  # before a view that reads it leniently looks anything up
    return body


def _depth(value: Any) -> int:
    deepest = 0
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return depth
            deepest = max(deepest, depth)
            pending.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _unstorable(text: object) -> bool:
    if not isinstance(text, str):
        return False
    if NUL in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable_json_fields(body: Any) -> list[str]:
    found: list[str] = []
    pending: list[tuple[Any, str]] = [(body, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if _unstorable(value):
                found.append(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if _unstorable(key):
                    found.append(name.encode("utf-8", "backslashreplace").decode("utf-8"))
                else:
                    pending.append((item, name))
        elif isinstance(value, list):
            pending.extend((item, f"{path}.{index}") for index, item in enumerate(value))
    return found


# Sent on https requests only (directly, or from a trusted proxy with ELO_PROXY_HOPS): browsers then
# refuse plain http to this host for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when ELO_BASE_URL is https, and on every request that came over
    https (behind a proxy: X-Forwarded-Proto, trusted with ELO_PROXY_HOPS)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def security_headers(response: Response) -> Response:
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Links carry personal tokens: never send them on in a Referer header.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.endswith(("/healthz",)) or "/api/" in request.path:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def template_globals() -> dict[str, Any]:
    return {
        "network_name": network_name(),
        "postal_address": postal_address(),
        "languages": LANGUAGES,
        "language_names": LANGUAGE_NAMES,
        "url_with_lang": url_with_lang,
        "get_locale": current_language,
        "site_root": site_root,  # "" or "/<network>": links to the other parts of the site stay in the network
        "site_settings": current_app.config.get("ELO_SETTINGS"),  # the footer's postal address, the contact email
    }


def keep_private(response: Response) -> Response:
    """For pages behind personal links (they show an address): no caches, no search engines."""
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def network_name(language: str | None = None) -> str:
    """The network's name in `language` (default: the page's), from ELO_NETWORK_NAME[_SV|_EN]."""
    settings: Settings | None = current_app.config.get("ELO_SETTINGS")
    if settings is None:
        return str(current_app.config["NETWORK_NAME"])
    return settings.network_name_in(language or current_language())


def postal_address(language: str | None = None) -> str:
    settings: Settings | None = current_app.config.get("ELO_SETTINGS")
    return settings.postal_address_in(language or current_language()) if settings else ""


def current_language() -> str:
    return str(get_locale() or current_app.config.get("PRIMARY_LANGUAGE", "fi"))


def url_with_lang(language: str) -> str:
    """The current page in another language (the language switch)."""
    args = request.args.to_dict()
    args["lang"] = language
    return f"{request.script_root}{request.path}?{urlencode(args)}"


def local_datetime(value: dt.datetime | str | None, zone: str | None = None) -> str:
    """Template filter: a stored time in Helsinki (or `zone`) in the page's language, `22.11.2026 klo 9.00`."""
    return format_datetime(value, current_language(), zone)


def local_date(value: dt.datetime | str | None, zone: str | None = None) -> str:
    """Template filter: the day of a stored time in Helsinki (or `zone`) in the page's language, `22.11.2026`."""
    moment = parse_moment(value)
    return format_date(moment, current_language(), zone) if moment is not None else ""
