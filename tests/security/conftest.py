"""Discovery for the security tests: routes, token routes, API operations and their guards.

Everything is found from the apps themselves (url_map, OpenAPI documents, the `require_role`
guards on the views), so a new endpoint is covered without touching these tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter
from werkzeug.test import Client

from services import SERVICES
from shared.ratelimit import reset_rates
from shared.settings import Settings

HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
DUMMY_TOKEN = "bm90LWEtdG9rZW4.ZZZZZZ.not-a-real-signature"


@dataclass(frozen=True)
class Route:
    prefix: str
    rule: Rule
    app: Flask

    @property
    def methods(self) -> set[str]:
        return set(self.rule.methods or ()) - {"HEAD", "OPTIONS"}

    @property
    def token_arguments(self) -> list[str]:
        return [name for name in self.rule.arguments if "token" in name]

    def path(self, **values: Any) -> str:
        filled = {name: values.get(name, dummy_value(self.rule, name)) for name in self.rule.arguments}
        with self.app.test_request_context():
            built = self.app.url_map.bind("localhost").build(self.rule.endpoint, filled, force_external=False)
        return self.prefix + built.split("?")[0]

    def __str__(self) -> str:
        return f"{self.prefix}{self.rule.rule}"


def dummy_value(rule: Rule, name: str) -> Any:
    converter = rule._converters.get(name)
    kind = type(converter).__name__ if converter else ""
    if "token" in name:
        return DUMMY_TOKEN
    if isinstance(converter, NumberConverter):
        return 1
    if kind == "UUIDConverter":
        return "00000000-0000-0000-0000-000000000000"
    return "x"


def every_route(apps: dict[str, Flask], front: Flask) -> Iterator[Route]:
    mounted = [("", front)] + [(info.prefix, apps[info.name]) for info in SERVICES]
    for prefix, app in mounted:
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
                continue
            yield Route(prefix, rule, app)


@pytest.fixture
def front(settings: Settings) -> Flask:
    from services import landing

    return landing.create_app({"ELO_SETTINGS": settings, "TESTING": True})


@pytest.fixture
def routes(apps: dict[str, Flask], front: Flask, client: Client) -> list[Route]:
    # `client` composes its own landing app; routes only need one to read its url_map.
    return list(every_route(apps, front))


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the process: start and leave every test with none."""
    reset_rates()
    yield
    reset_rates()


# --- the guards on API views ---------------------------------------------------------------------

def allowed_roles(view: Callable[..., Any]) -> set[str] | None:
    """The roles `shared.auth.require_role` lets through to `view`, or None when it is not guarded."""
    function: Any = view
    seen = 0
    while function is not None and seen < 20:
        code = getattr(function, "__code__", None)
        if code is not None and code.co_name == "guarded" and code.co_filename.endswith("shared/auth.py"):
            for cell in function.__closure__ or ():
                contents = cell.cell_contents
                if isinstance(contents, set) and all(isinstance(item, str) for item in contents):
                    return set(contents)
        function = getattr(function, "__wrapped__", None)
        seen += 1
    return None


@dataclass(frozen=True)
class ApiOperation:
    service: str
    method: str
    path: str  # with the prefix, as in the URL
    template: str  # the OpenAPI path, e.g. /api/v1/events/{event_id}
    roles: frozenset[str] | None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def api_operations(apps: dict[str, Flask]) -> list[ApiOperation]:
    """Every documented API operation with the roles that guard it (None: public)."""
    found = []
    for info in SERVICES:
        app = apps[info.name]
        spec = app.extensions["elo_api"].spec.to_dict()
        for template, item in spec.get("paths", {}).items():
            for method in item:
                if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                    continue
                view = _view_for(app, template, method.upper())
                roles = allowed_roles(view) if view else None
                path = info.prefix + re.sub(r"\{[^}]+\}", "1", template)
                found.append(ApiOperation(info.name, method.upper(), path, template,
                                          frozenset(roles) if roles is not None else None))
    return found


def _view_for(app: Flask, template: str, method: str) -> Callable[..., Any] | None:
    flask_rule = re.sub(r"\{([^}]+)\}", r"<\1>", template)
    for rule in app.url_map.iter_rules():
        if re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule.rule) != flask_rule or method not in (rule.methods or ()):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if view_class is not None:
            return getattr(view_class, method.lower(), None)
        return view
    return None


# --- what the system wrote: links with tokens, rows with text -------------------------------------

URL_PATTERN = re.compile(r"https?://[^\s\"'<>\\]+")


def every_text_value(apps: dict[str, Flask]) -> Iterator[tuple[str, str, str]]:
    """(service, table, text) for every string cell in every service's database (JSON as text)."""
    for info in SERVICES:
        database = info.module().db
        with database.engine.connect() as connection:
            for metadata in database.metadatas:
                for table in metadata.sorted_tables:
                    for row in connection.execute(sa.select(table)):
                        for value in row:
                            if isinstance(value, str):
                                yield info.name, table.name, value
                            elif isinstance(value, dict | list):
                                yield info.name, table.name, json.dumps(value, ensure_ascii=False)


def links_written(apps: dict[str, Flask]) -> set[str]:
    """Every URL in every database (outbox payloads, rendered mail, logs of delivery)."""
    return {match.group(0) for _s, _t, text in every_text_value(apps) for match in URL_PATTERN.finditer(text)}
