"""Calls from one service to another's public or internal HTTP API.

With `ELO_<SERVICE>_URL` set (production: e.g. http://events:8000) the call goes over HTTP.
Unset (the embedded run, where every app lives in this process) the request is handed to the
other service's WSGI app in-process: the same request, routing, auth and schemas, no socket.
The caller shows the service token, so internal endpoints can `require_role("service")`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flask import current_app
from werkzeug.test import Client

from shared import apps
from shared.auth import service_token
from shared.networks import NETWORK_ENVIRON, current_network, path_prefix
from shared.settings import SERVICE_PREFIXES


class ServiceCallFailed(Exception):
    """The other service did not answer, or answered with an error."""


@dataclass(frozen=True)
class ServiceResponse:
    status: int
    body: Any


def call(service: str, method: str, path: str, *, json_body: Any = None, timeout: float = 5.0,
         authenticated: bool = True) -> ServiceResponse:
    """`call("events", "GET", "/api/v1/events?upcoming=1")` → ServiceResponse, or ServiceCallFailed."""
    settings = current_app.config["ELO_SETTINGS"]
    headers = {"Accept": "application/json"}
    if authenticated:
        headers["Authorization"] = f"Bearer {service_token(settings.secret_key)}"
    base_url = settings.service_urls.get(service)
    if base_url:
        url = f"{base_url.rstrip('/')}{path_prefix()}{SERVICE_PREFIXES[service]}{path}"
        return _over_http(url, method, headers, json_body, timeout)
    return _in_process(service, method, path, headers, json_body)


def _in_process(service: str, method: str, path: str, headers: dict[str, str], json_body: Any) -> ServiceResponse:
    try:
        app = apps.get_app(service)
        response = Client(app).open(path, method=method, headers=headers, json=json_body,
                                    environ_base={NETWORK_ENVIRON: current_network()})
    except Exception as error:
        raise ServiceCallFailed(f"{service}: {type(error).__name__}: {error}") from error
    body = json.loads(response.data) if response.data and (response.mimetype or "").endswith("json") else None
    if response.status_code >= 500:
        raise ServiceCallFailed(f"{service} answered {response.status_code}")
    return ServiceResponse(response.status_code, body)


def _over_http(url: str, method: str, headers: dict[str, str], json_body: Any, timeout: float) -> ServiceResponse:
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers = {**headers, "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - own services
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            return ServiceResponse(response.status, json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise ServiceCallFailed(f"{url} answered {error.code}") from error
        raw = error.read()
        return ServiceResponse(error.code, json.loads(raw) if raw else None)
    except (OSError, ValueError) as error:
        raise ServiceCallFailed(f"{url}: {error}") from error
