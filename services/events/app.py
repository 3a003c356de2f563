"""App factory of the events service (mounted at /events)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.events import api as json_api
from services.events import metrics, pages
from services.events.models import db
from shared import apps
from shared.web import create_service_app

SERVICE = "events"
PREFIX = "/events"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app, api = create_service_app(service=SERVICE, import_name=__name__, prefix=PREFIX, db=db,
                                  title="Events", service_dir=Path(__file__).parent, config=config)
    api.register_blueprint(json_api.blp)
    pages.register(app)
    metrics.register(app)
    return app


apps.register_factory(SERVICE, create_app)
