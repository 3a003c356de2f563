"""The skeleton every app shares: config from settings, problem+json errors, fi/sv/en, the shared
templates and stylesheet, security headers, template globals and date filters; and for a service
also its database, its API with `/api/docs`, and `/healthz`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_smorest.spec.plugins import integerconverter2paramschema
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.routing import IntegerConverter

from shared import apps, ops
from shared.db import Database, current_database
from shared.errors import InvalidInput, ProblemApi, register_error_handlers
from shared.formatting import format_date, format_datetime, parse_moment
from shared.i18n import LANGUAGE_NAMES, init_i18n
from shared.schemas import MAX_DATABASE_ID
from shared.settings import LANGUAGES, Settings, load_settings
from shared.transport import broker_answers

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


def create_service_app(*, service: str, import_name: str, prefix: str, db: Database, title: str,
                       service_dir: Path, config: Mapping[str, Any] | None = None,
                       translation_dirs: list[Path] | None = None) -> tuple[Flask, ProblemApi]:
    """The app skeleton each service's `create_app` fills with its blueprints."""
    config = dict(config or {})
    settings: Settings = config.pop("ELO_SETTINGS", None) or load_settings()
    app = create_page_app(import_name, service_dir, {**_config_from(settings, service, prefix, title), **config},
                          translation_dirs)
    app.url_map.converters["int"] = DatabaseIntegerConverter
    db.init_app(app)
    api = ProblemApi(app, spec_kwargs={"info": {"description": f"{title} of {settings.network_name}"}})
    api.register_converter(DatabaseIntegerConverter, integerconverter2paramschema)  # documents the maximum
    register_error_handlers(app)  # again: ProblemApi registered its own HTTPException handler
    app.extensions["elo_api"] = api
    api.register_blueprint(ops.blueprint)
    app.add_url_rule("/healthz", "healthz", _healthz)
    app.add_url_rule("/api/docs", "api_docs", _api_docs)
    app.before_request(refuse_nul_characters)
    apps.set_app(service, app)
    return app, api


def create_page_app(import_name: str, directory: Path, config: Mapping[str, Any],
                    translation_dirs: list[Path] | None = None) -> Flask:
    """A Flask app that shows pages the way every part of the site does: templates from
    `directory/templates`, then the shared ones; the shared stylesheet; problem errors; fi/sv/en;
    security headers; the shared template globals and date filters. (Services and the landing page.)"""
    app = Flask(import_name, static_folder=str(SHARED_DIR / "static"), template_folder=str(directory / "templates"))
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(directory / "templates")),
                                     FileSystemLoader(str(SHARED_DIR / "templates"))])
    app.config.update(config)
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


def refuse_nul_characters() -> None:
    """A NUL character in any input is a 422 naming the field: PostgreSQL cannot store it in text, and
    no person types one (found by the API fuzzer: a 500 on PostgreSQL)."""
    fields = [name for name, value in [*request.args.items(multi=True), *request.form.items(multi=True)]
              if NUL in name or NUL in value]
    if request.is_json:
        fields += _fields_with_nul(request.get_json(silent=True), "")
    if fields:
        message = "Remove the NUL character (\\u0000)."
        raise InvalidInput("Check these fields: " + ", ".join(sorted(set(fields))) + ".",
                           errors={name or "_body": [message] for name in fields})


def _fields_with_nul(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in _fields_with_nul(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _fields_with_nul(item, f"{path}.{index}")]
    return []


def security_headers(response: Response) -> Response:
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
        "network_name": current_app.config["NETWORK_NAME"],
        "languages": LANGUAGES,
        "language_names": LANGUAGE_NAMES,
        "url_with_lang": url_with_lang,
        "get_locale": current_language,
    }


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
