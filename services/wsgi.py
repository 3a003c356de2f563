"""WSGI entry points for production: `gunicorn 'services.wsgi:create("subscriptions")'`.

Each app is mounted under its own prefix, so nginx passes paths through unchanged and the
URL space is the same as in the embedded run. `create("landing")` serves `/`.
With `ELO_PROXY_HOPS=n` the client's address, scheme and host come from the X-Forwarded-*
headers of the n trusted proxies in front (rate limits per address, https links, secure cookies,
HSTS); `elo up` does the same (`behind_proxies`).
Without ELO_SMTP_URL (or ELO_CAPTURE_MAIL=1) a web process refuses to start with one line. The test
mailbox of captured mail (/mailer/outbox/) is never served here: only `elo up` has it.
"""

from __future__ import annotations

import sys
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from services import SERVICES, landing
from shared.broker import get_broker
from shared.logs import configure_logging
from shared.network_registry import REGISTRY_KEY
from shared.networks import NetworkPaths
from shared.settings import SERVICE_PREFIXES, Settings, SettingsError, load_settings, require_mail_relay

# gunicorn stops (instead of starting the worker again and again) when a worker exits with this code.
APP_LOAD_ERROR = 4


def create(name: str) -> Any:
    settings = production_settings()
    configure_logging("json", service=name)
    get_broker()
    config = {"ELO_SETTINGS": settings}
    flask_app = (landing.create_app(config) if name == "landing"
                 else next(info for info in SERVICES if info.name == name).module().create_app(config))
    app: Any = flask_app
    if name != "landing":
        app = DispatcherMiddleware(NotFound(), {SERVICE_PREFIXES[name]: flask_app})
    # /<network>/<prefix>/… reaches this process too (deploy/nginx.conf).
    routed = NetworkPaths(app, flask_app.extensions[REGISTRY_KEY], settings.network_slug)
    return behind_proxies(routed, settings.proxy_hops)


def production_settings() -> Settings:
    """The settings, or one line on stderr and exit: a wrong setting is not fixed by starting again."""
    try:
        settings = load_settings()
        require_mail_relay(settings)
    except SettingsError as error:
        print(f"elo: setting {error}", file=sys.stderr, flush=True)  # noqa: T201 - before any logging is set up
        raise SystemExit(APP_LOAD_ERROR) from None
    return settings


def behind_proxies(app: Any, hops: int) -> Any:
    """`app` taking the client's address, scheme and host from `hops` trusted proxies (0: as it is)."""
    if not hops:
        return app
    # Not x_port: X-Forwarded-Host already carries the port the client used.
    return ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
