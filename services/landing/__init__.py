"""The landing page at `/`: what the network offers, with links to the newsletter and events."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from jinja2 import ChoiceLoader, FileSystemLoader

from shared.errors import register_error_handlers
from shared.i18n import init_i18n
from shared.settings import Settings, load_settings
from shared.web import SHARED_DIR, security_headers, template_globals

HERE = Path(__file__).parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    settings: Settings = config.pop("ELO_SETTINGS", None) or load_settings()
    app = Flask(__name__, static_folder=str(SHARED_DIR / "static"))
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(HERE / "templates")),
                                     FileSystemLoader(str(SHARED_DIR / "templates"))])
    app.config.update(SECRET_KEY=settings.secret_key, NETWORK_NAME=settings.network_name,
                      PRIMARY_LANGUAGE=settings.primary_language, ELO_SETTINGS=settings)
    app.config.update(config)
    register_error_handlers(app)
    init_i18n(app, [HERE / "translations"])
    app.after_request(security_headers)
    app.context_processor(template_globals)
    app.add_url_rule("/", "index", index)
    return app


def index() -> str:
    return render_template("landing.html")
