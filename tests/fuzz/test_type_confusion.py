"""The type-confusion pass: every property of every documented JSON body gets each JSON type it is not
(1 for a boolean, true or "5" for an integer, 5 for a string, …). The answer is a 4xx problem, never a
2xx or 5xx; a 422 names the confused property. Deterministic, so it runs the same on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.test import Client

from services import SERVICES
from shared.errors import PROBLEM_JSON

WRONG: dict[str, list[Any]] = {
    "boolean": [1, 0, "true", "yes", None, [], {}],
    "integer": [True, "5", 5.5, 1.5e300, None, [], {}],
    "string": [5, True, [], {}],
    "array": ["x", 5, True, {}],
    "object": ["x", 5, True, []],
}


def _resolve(raw: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = raw
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def json_bodies(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path with ids 1, the body's properties) for every operation that takes a JSON body."""
    found = []
    for template, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue  # path-level "parameters"
            content = (operation.get("requestBody") or {}).get("content") or {}
            if "application/json" not in content:
                continue
            schema = _resolve(spec, content["application/json"].get("schema") or {})
            path = template.replace("{", "<").replace("}", ">")
            while "<" in path:
                start = path.index("<")
                path = path[:start] + "1" + path[path.index(">", start) + 1:]
            found.append((method.upper(), path, {name: _resolve(spec, prop)
                                                 for name, prop in (schema.get("properties") or {}).items()}))
    return found


def test_no_property_takes_a_value_of_another_json_type(apps: dict[str, Flask], client: Client,
                                                        admin_headers: Callable[[str], dict[str, str]]) -> None:
    headers = admin_headers("coordinator")
    for app in apps.values():
        app.config["RATE_LIMIT_SCALE"] = 10_000
    wrong: list[str] = []
    tried = 0
    for info in SERVICES:
        spec = apps[info.name].extensions["elo_api"].spec.to_dict()
        for method, path, properties in json_bodies(spec):
            for name, prop in properties.items():
                declared = prop.get("type")
                for value in WRONG.get(declared, []):
                    if value is None and prop.get("nullable"):
                        continue
                    tried += 1
                    response = client.open(info.prefix + path, method=method, headers=headers,
                                           data=json.dumps({name: value}), content_type="application/json")
                    label = f"{method} {info.prefix}{path} {name}={value!r} ({declared})"
                    if not 400 <= response.status_code < 500 or response.mimetype != PROBLEM_JSON:
                        wrong.append(f"{label}: {response.status_code} {response.mimetype}")
                    elif response.status_code == 422 and name not in (response.get_json().get("errors") or {}):
                        wrong.append(f"{label}: 422 without naming it: {response.get_data(as_text=True)[:200]}")
    assert tried > 50
    assert not wrong, "\n".join(wrong)
