"""Which Flask app each service's actors and jobs run in.

The web process, the worker and the tests all build apps with the same factories; actors
look their service's app up here, so "the worker builds the same app".
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

_factories: dict[str, Callable[[], Flask]] = {}
_apps: dict[str, Flask] = {}
_lock = threading.Lock()


def register_factory(service: str, factory: Callable[[], Flask]) -> None:
    _factories[service] = factory


def set_app(service: str, app: Flask) -> None:
    _apps[service] = app


def get_app(service: str) -> Flask:
    app = _apps.get(service)
    if app is not None:
        return app
    with _lock:
        if service not in _apps:
            if service not in _factories:
                raise LookupError(f"no app factory registered for service {service!r}")
            _apps[service] = _factories[service]()
        return _apps[service]


def forget_apps() -> None:
    _apps.clear()
