"""One URL space for the three services and the landing page (embedded run and tests).

Production uses the same mounts, one per gunicorn (see services/wsgi.py and deploy/nginx.conf).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services import SERVICES, landing


def create_gateway(config: Mapping[str, Any] | None = None) -> tuple[DispatcherMiddleware, dict[str, Flask]]:
    """The composed WSGI app and each service's Flask app by service name."""
    service_apps = {info.name: info.module().create_app(config) for info in SERVICES}
    return compose(service_apps, landing.create_app(config)), service_apps


def compose(service_apps: Mapping[str, Flask], front: Flask) -> DispatcherMiddleware:
    return DispatcherMiddleware(front, {info.prefix: service_apps[info.name] for info in SERVICES})
