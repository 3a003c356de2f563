"""What every service app has: config from settings, database, problem+json errors, i18n,
the shared templates and stylesheet, security headers, `/healthz` and `/api/docs`."""

from __future__ import annotations

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
from shared.broker import broker_answers
from shared.db import Database
from shared.errors import InvalidInput, ProblemApi, register_error_handlers
from shared.i18n import LANGUAGE_NAMES, init_i18n
from shared.settings import LANGUAGES, Settings, load_settings

SHARED_DIR = Path(__file__).parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:…>` limited to what an INTEGER column holds: a larger id is a 404, not a database error (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_service_app(*, service: str, import_name: str, prefix: str, db: Database, title: str,
                       service_dir: Path, config: Mapping[str, Any] | None = None,
                       translation_dirs: list[Path] | None = None) -> tuple[Flask, ProblemApi]:
    """The app skeleton each service's `create_app` fills with its blueprints."""
    config = dict(config or {})
    settings: Settings = config.pop("ELO_SETTINGS", None) or load_settings()
    app = Flask(import_name, static_folder=str(SHARED_DIR / "static"), template_folder=str(service_dir / "templates"))
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(service_dir / "templates")),
                                     FileSystemLoader(str(SHARED_DIR / "templates"))])
    app.config.update(_config_from(settings, service, prefix, title))
    app.config.update(config)
    db.init_app(app)
    register_error_handlers(app)
    init_i18n(app, translation_dirs or [service_dir / "translations"])
    api = ProblemApi(app, spec_kwargs={"info": {"description": f"{title} of {settings.network_name}"}})
    api.register_converter(DatabaseIntegerConverter, integerconverter2paramschema)  # documents the maximum
    register_error_handlers(app)  # again: ProblemApi registered its own HTTPException handler
    app.extensions["elo_api"] = api
    api.register_blueprint(ops.blueprint)
    app.add_url_rule("/healthz", "healthz", _healthz)
    app.add_url_rule("/api/docs", "api_docs", _api_docs)
    app.before_request(refuse_nul_characters)
    app.after_request(security_headers)
    app.context_processor(template_globals)
    apps.set_app(service, app)
    return app, api


def _config_from(settings: Settings, service: str, prefix: str, title: str) -> dict[str, Any]:
    secure = settings.base_url.startswith("https://")
    return {
        "ELO_SETTINGS": settings,
        "SERVICE": service,
        "URL_PREFIX": prefix,
        "SECRET_KEY": settings.secret_key,
        "DATABASE_URL": settings.database_url(service),
        "BROKER_URL": settings.broker_url,
        "BASE_URL": settings.base_url,
        "PRIMARY_LANGUAGE": settings.primary_language,
        "NETWORK_NAME": settings.network_name,
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
    db: Database = current_app.extensions["elo_database"]
    database_ok = db.ping()
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
