"""The landing page's app: the shared page skeleton, its own templates and translations, one page."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from services.landing import pages
from shared.db import Database
from shared.models import PlatformBase
from shared.network_registry import REGISTRY_KEY, registry_of
from shared.settings import Settings, load_settings
from shared.web import create_page_app, page_config

HERE = Path(__file__).parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    settings: Settings = config.pop("ELO_SETTINGS", None) or load_settings()
    app = create_page_app("services.landing", HERE, {**page_config(settings), **config})
    app.extensions[REGISTRY_KEY] = registry_of(networks_database(settings))
    pages.register(app)
    return app


def networks_database(settings: Settings) -> Database:
    """The landing page has no database of its own: it reads the networks from the subscriptions one."""
    database = Database("landing", [PlatformBase.metadata])
    database.configure(settings.database_url("subscriptions"))
    return database
