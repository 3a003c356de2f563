"""WSGI entry points for production: `gunicorn 'services.wsgi:create("subscriptions")'`.

Each app is mounted under its own prefix, so nginx passes paths through unchanged and the
URL space is the same as in the embedded run. `create("landing")` serves `/`.
With `ELO_PROXY_HOPS=n` the client's address, scheme and host come from the X-Forwarded-*
headers of the n trusted proxies in front (rate limits per address, https links, secure cookies,
HSTS); `elo up` does the same (`behind_proxies`).
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from services import SERVICES, landing
from shared.broker import get_broker
from shared.settings import load_settings


def create(name: str) -> Any:
    get_broker()
    settings = load_settings()
    app: Any
    if name == "landing":
        app = landing.create_app({"ELO_SETTINGS": settings})
    else:
        info = next(info for info in SERVICES if info.name == name)
        app = DispatcherMiddleware(NotFound(), {info.prefix: info.module().create_app({"ELO_SETTINGS": settings})})
    return behind_proxies(app, settings.proxy_hops)


def behind_proxies(app: Any, hops: int) -> Any:
    """`app` taking the client's address, scheme and host from `hops` trusted proxies (0: as it is)."""
    if not hops:
        return app
    # Not x_port: X-Forwarded-Host already carries the port the client used.
    return ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
