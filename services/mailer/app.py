"""App factory of the mailer service (mounted at /mailer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.mailer import api, metrics, pages
from services.mailer.models import db
from shared import apps
from shared.formatting import format_datetime
from shared.web import create_service_app, current_language

SERVICE = "mailer"
PREFIX = "/mailer"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app, problem_api = create_service_app(service=SERVICE, import_name=__name__, prefix=PREFIX, db=db,
                                          title="Mailer", service_dir=Path(__file__).parent, config=config)
    problem_api.register_blueprint(api.blp)
    pages.register(app)
    metrics.register(app)
    app.jinja_env.filters["local_datetime"] = _local_datetime
    return app


def _local_datetime(value: dt.datetime | None) -> str:
    """A stored UTC time as Europe/Helsinki in the page's language: `22.11.2026 klo 9.00`."""
    return format_datetime(value, current_language())


apps.register_factory(SERVICE, create_app)
