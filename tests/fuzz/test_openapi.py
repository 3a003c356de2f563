"""Schemathesis against each service's OpenAPI document, served by the composed app (both backends).

For every documented operation, generated requests (valid and invalid) must get: no 5xx, a status
and body that the document promises, and every error as application/problem+json. Requests carry a
coordinator token so admin operations are exercised beyond their 401. A failure names the exact
request (as a curl command) for each operation that broke a promise; all operations run before the
test fails, so one report lists every broken one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi import checks as openapi_checks
from werkzeug.test import Client

from services import SERVICES
from shared.errors import PROBLEM_JSON
from tests.conftest import Backend

MAX_EXAMPLES = int(os.environ.get("ELO_FUZZ_EXAMPLES", "10"))
BASE = "http://localhost"

# Operations left out on purpose, with the reason. Nothing else is skipped.
EXCLUDED: dict[str, str] = {}

# Known, reported bugs: (service, operation, backend or "*") → what is wrong. These still run; their
# failure is expected and reported in the test's output, and the test fails when one starts to pass
# (then remove it here), like xfail(strict=True) for one operation.
KNOWN_BROKEN: dict[tuple[str, str, str], str] = {}

load_all_checks()


def positive_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's positive_data_acceptance, except that a 422 for schema-valid data passes when every
    field it names carries a rule in the OpenAPI (`x-rule`: a cross-field check or a lookup that JSON
    Schema cannot state). So the document states every rule the server enforces beyond the types."""
    try:
        return openapi_checks.positive_data_acceptance(ctx, response, case)
    except openapi_checks.RejectedPositiveData:
        if response.status_code == 410:  # gone (a cancelled event): a state, like 404 and 409
            return None
        if response.status_code == 422 and not undocumented_rules(case, response):
            return None
        raise AssertionError(f"{case.operation.label}: schema-valid data refused with {response.status_code}, "
                             f"and these fields carry no documented rule: {undocumented_rules(case, response)}: "
                             f"{response.content[:500]!r}") from None


# Every check schemathesis has, with positive data acceptance as above.
CHECKS = [check for check in schemathesis.checks.CHECKS.get_all() if check.__name__ != "positive_data_acceptance"]
CHECKS.append(positive_data_accepted)


def undocumented_rules(case: Any, response: Any) -> list[str]:
    """The fields a 422 names whose schema (or an enclosing one) states no `x-rule`."""
    try:
        errors = json.loads(response.content).get("errors") or {"_body": ["no field named"]}
    except (ValueError, AttributeError):
        return ["(no problem body)"]
    raw = case.operation.schema.raw_schema
    body = (case.operation.definition.raw.get("requestBody") or {}).get("content") or {}
    roots = [media.get("schema") or {} for media in body.values()]
    return [path for path in _error_paths(errors, "") if not any(_documented(raw, root, path) for root in roots)]


def _error_paths(errors: Any, prefix: str) -> list[str]:
    if not isinstance(errors, dict):
        return [prefix]
    paths: list[str] = []
    for key, value in errors.items():
        paths += _error_paths(value, f"{prefix}.{key}" if prefix else str(key))
    return paths


def _documented(raw: dict[str, Any], schema: dict[str, Any], path: str) -> bool:
    for part in path.split("."):
        schema = _resolve(raw, schema)
        if "x-rule" in schema:
            return True
        if part in (schema.get("properties") or {}):
            schema = schema["properties"][part]
        elif part.isdigit() and "items" in schema:
            schema = schema["items"]
        else:
            return False
    return "x-rule" in _resolve(raw, schema)


def _resolve(raw: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = raw
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def problem_json_errors(response: Any) -> str | None:
    """Every error response is application/problem+json with type, title and status."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if content_type != PROBLEM_JSON:
        return f"error {response.status_code} answered as {content_type!r}, not {PROBLEM_JSON}"
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not {"type", "title", "status"} <= set(body):
        return f"error {response.status_code} body lacks type/title/status: {response.content[:300]!r}"
    if body["status"] != response.status_code:
        return f"problem status {body['status']} differs from the HTTP status {response.status_code}"
    return None


def fuzz_operation(operation: Any, *, base_url: str, headers: dict[str, str], mode: GenerationMode) -> None:
    @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
        problem = problem_json_errors(response)
        if problem:
            raise AssertionError(f"{problem}\nReproduce with:\n    {case.as_curl_command(headers=headers)}")

    check()


@pytest.mark.parametrize("service", [info.name for info in SERVICES])
def test_every_operation_keeps_the_documented_promises(
    service: str, apps: dict[str, Flask], client: Client, admin_headers: Callable[[str], dict[str, str]],
    backend: Backend,
) -> None:
    prefix = next(info.prefix for info in SERVICES if info.name == service)
    schema = schemathesis.openapi.from_wsgi(f"{prefix}/api/openapi.json", client.application)
    # The server refuses NUL in any text (422, stated in the document's description); do not count it as valid.
    schema.config.generation.update(allow_x00=False, codec="utf-8")
    for app in apps.values():
        app.config["RATE_LIMIT_SCALE"] = 10_000  # thousands of requests from one client in a few seconds
    headers = admin_headers("coordinator")
    failures: list[str] = []
    still_broken: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        if label in EXCLUDED:
            continue
        tried += 1
        known = KNOWN_BROKEN.get((service, label, backend.name)) or KNOWN_BROKEN.get((service, label, "*"))
        failed = None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz_operation(operation, base_url=BASE + prefix, headers=headers, mode=mode)
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing to make invalid (no parameters, no body)
            except (Exception, BaseExceptionGroup) as error:  # collect every failure for one report
                failed = f"### {label} ({mode.value} data)\n{error}"
                break
        if known and failed:
            still_broken.append(f"{label}: {known}")
        elif known:
            failures.append(f"### {label} now keeps its promises: remove it from KNOWN_BROKEN ({known})")
        elif failed:
            failures.append(failed)
    assert tried, f"{service} documents no operations"
    assert not failures, "\n\n".join(failures)
    if still_broken:
        pytest.xfail("known bugs, reported: " + "; ".join(still_broken))


def test_an_id_too_large_for_the_database_is_404_not_500(client: Client,
                                                          admin_headers: Callable[[str], dict[str, str]]) -> None:
    """Found by the fuzzer: `GET /newsletter/api/v1/issues/27029719041370539163648/preview` answered 500
    (the id overflowed the INTEGER column). `<int:…>` in every service now stops at 2**31 - 1."""
    headers = admin_headers("coordinator")
    for path in ("/newsletter/api/v1/issues/27029719041370539163648/preview", "/events/api/v1/events/2147483648",
                 "/newsletter/archive/99999999999999999999"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, (path, response.status_code)


def test_a_nul_character_is_a_422_naming_the_field_not_a_500(client: Client) -> None:
    """Found by the fuzzer on PostgreSQL: an article whose body held "\\u0000" answered 500 (PostgreSQL
    text cannot hold NUL). Every service now answers 422 naming the field, on both backends."""
    article = {"title": "Otsikko", "summary": "Tiivistelmä, joka on riittävän pitkä.",
               "body": "Teksti\u0000 jossa on nolla", "author_name": "Liisa Korhonen",
               "email": "liisa@example.org", "organisation": "OSAO", "themes": [], "language": "fi"}
    response = client.post("/newsletter/api/v1/articles", json=article)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "body" in response.get_json()["errors"]
    page = client.post("/newsletter/", data={"email": "a@example.org", "name": "A\u0000", "language": "fi"})
    assert page.status_code == 422
    query = client.get("/events/calendar.ics?kind=%00")
    assert query.status_code == 422


def test_an_issue_with_article_ids_out_of_range_is_a_422(request: pytest.FixtureRequest, backend: Backend,
                                                          client: Client,
                                                          admin_headers: Callable[[str], dict[str, str]]) -> None:
    """Found by the fuzzer on PostgreSQL: this exact request answered 500 (integer out of range)."""
    body = {"article_ids": [315442874, -2377415, -2655656984, 154871287473], "language": "fi",
            "include_events": True, "title": "ELO-uutiskirje"}
    response = client.post("/newsletter/api/v1/issues", json=body, headers=admin_headers("editor"))
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
