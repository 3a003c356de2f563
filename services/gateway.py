"""One URL space for the three services and the landing page (embedded run and tests).

Production uses the same mounts, one per gunicorn (see services/wsgi.py and deploy/nginx.conf).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services import SERVICES, landing
from shared.network_registry import REGISTRY_KEY
from shared.networks import NetworkPaths


def create_gateway(config: Mapping[str, Any] | None = None, *,
                   embedded: bool = False) -> tuple[NetworkPaths, dict[str, Flask]]:
    """The composed WSGI app and each service's Flask app by service name.

    `embedded` (`elo up`): the apps serve what only the embedded run has, e.g. the mailer's test mailbox
    of captured mail at /mailer/outbox/ (config `ELO_EMBEDDED`)."""
    if embedded:
        config = {**(config or {}), "ELO_EMBEDDED": True}
    service_apps = {info.name: info.module().create_app(config) for info in SERVICES}
    return compose(service_apps, landing.create_app(config)), service_apps


def compose(service_apps: Mapping[str, Flask], front: Flask) -> NetworkPaths:
    """`/<network>/…` of each network, and the plain paths of the default network (`shared.networks`)."""
    dispatcher = DispatcherMiddleware(front, {info.prefix: service_apps[info.name] for info in SERVICES})
    subscriptions = service_apps["subscriptions"]
    return NetworkPaths(dispatcher, subscriptions.extensions[REGISTRY_KEY],
                        subscriptions.config["ELO_SETTINGS"].network_slug)
