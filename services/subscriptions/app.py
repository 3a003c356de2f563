"""App factory of the subscriptions service (mounted at /newsletter)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.subscriptions.models import db
from shared import apps
from shared.web import create_service_app

SERVICE = "subscriptions"
PREFIX = "/newsletter"
HERE = Path(__file__).parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app, api = create_service_app(service=SERVICE, import_name=__name__, prefix=PREFIX, db=db,
                                  title="Newsletter", service_dir=HERE, config=config,
                                  translation_dirs=[HERE / "translations", HERE / "newsletter" / "translations"])
    from services.subscriptions import admin, views

    views.register(app, api)
    admin.register(app)
    return app


apps.register_factory(SERVICE, create_app)
