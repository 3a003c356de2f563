"""Hostile input answers 4xx problem+json, never a 5xx; authentication comes before validation; the
OpenAPI states the rules the server enforces (issue 13, point 8). The fuzzer (tests/fuzz/) tries the
documented operations at random; these are the exact inputs that once answered 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from shared.errors import PROBLEM_JSON
from shared.settings import Settings, load_settings
from shared.web import MAX_JSON_DEPTH
from tests.conftest import Backend
from tests.security.conftest import api_operations

BOUNCE_SECRET = "input-test-bounce-secret-" + "b" * 24


@pytest.fixture
def settings(backend: Backend) -> Settings:
    """Fully configured (the bounce webhook checks its secret instead of answering 503)."""
    return load_settings(backend.env(ELO_BOUNCE_SECRET=BOUNCE_SECRET))


def assert_problem(response: Any, *statuses: int) -> dict[str, Any]:
    body = response.get_data(as_text=True)
    assert response.status_code in statuses, (response.status_code, body[:400])
    assert response.mimetype == PROBLEM_JSON, (response.mimetype, body[:200])
    problem = json.loads(body)
    assert problem["status"] == response.status_code
    return dict(problem)


def post_raw(client: Client, path: str, raw: str, headers: dict[str, str] | None = None,
             method: str = "POST") -> Any:
    return client.open(path, method=method, data=raw.encode("ascii"), content_type="application/json",
                       headers=headers or {})


LONE_SURROGATE = "\\ud800"  # as a client writes it in JSON: valid JSON, no UTF-8 encoding exists

PUBLIC_BODIES = [
    ("/newsletter/api/v1/subscriptions", f'{{"email": "a{LONE_SURROGATE}@example.org", "language": "fi"}}', "email"),
    ("/newsletter/api/v1/subscriptions", f'{{"email": "a@example.org", "name": "{LONE_SURROGATE}", '
                                         '"language": "fi"}', "name"),
    ("/events/api/v1/events/1/registrations", f'{{"email": "{LONE_SURROGATE}@example.org"}}', "email"),
    ("/events/api/v1/events/1/registrations", f'{{"name": "x", "email": "x@example.org", '
                                              f'"answers": {{"k": ["{LONE_SURROGATE}"]}}}}', "answers.k.0"),
    ("/newsletter/api/v1/articles", f'{{"title": "Otsikko {LONE_SURROGATE}"}}', "title"),
    ("/newsletter/api/v1/articles", f'{{"{LONE_SURROGATE}": "x"}}', "\\ud800"),
]


@pytest.mark.parametrize(("path", "raw", "field"), PUBLIC_BODIES)
def test_a_lone_surrogate_in_any_json_string_is_a_422_naming_the_field(client: Client, path: str, raw: str,
                                                                       field: str) -> None:
    """Even in a registration's `email`, which the rate limit hashes before the body is validated."""
    problem = assert_problem(post_raw(client, path, raw), 422)
    assert field in problem["errors"], problem


def test_a_lone_surrogate_in_an_admin_body_is_a_422_once_authenticated(
        client: Client, admin_headers: Callable[[str], dict[str, str]]) -> None:
    headers = admin_headers("coordinator")
    raw = f'{{"kind": "training", "title": {{"fi": "Koulutus {LONE_SURROGATE}"}}}}'
    problem = assert_problem(post_raw(client, "/events/api/v1/events", raw, headers), 422)
    assert "title.fi" in problem["errors"]
    assert_problem(post_raw(client, "/events/api/v1/events", raw), 401)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 100_000])
@pytest.mark.parametrize("path", ["/newsletter/api/v1/subscriptions", "/events/api/v1/events/1/registrations",
                                  "/newsletter/api/v1/articles", "/mailer/api/v1/bounces"])
def test_deeply_nested_json_is_a_400(client: Client, path: str, depth: int) -> None:
    headers = {"Authorization": f"Bearer {BOUNCE_SECRET}"} if "bounces" in path else {}
    nested = '{"email": ' + "[" * depth + "]" * depth + "}"
    problem = assert_problem(post_raw(client, path, nested, headers), 400)
    assert "nested" in problem["detail"]


def test_json_nested_within_the_limit_is_read(client: Client) -> None:
    nested = '{"email": "a@example.org", "language": "fi", "name": ' + "[" * 20 + "]" * 20 + "}"
    problem = assert_problem(post_raw(client, "/newsletter/api/v1/subscriptions", nested), 422)
    assert set(problem["errors"]) == {"name"}


@pytest.mark.parametrize("query", ["after=99999999999999999999", "after=2147483648", "after=-1", "limit=10000000000000",
                                   "after=1e400", "after=%00"])
def test_huge_numbers_in_the_subscribers_query_are_a_422(client: Client, query: str,
                                                          admin_headers: Callable[[str], dict[str, str]]) -> None:
    response = client.get(f"/newsletter/api/v1/subscribers?{query}", headers=admin_headers("coordinator"))
    assert_problem(response, 422)
    edge = client.get("/newsletter/api/v1/subscribers?after=2147483647", headers=admin_headers("coordinator"))
    assert edge.status_code == 200
    assert edge.get_json()["items"] == []


@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 400, "2147483648", "-5", "x"])
def test_the_test_mailbox_shows_its_last_page_for_a_huge_page_number(client: Client, page: str) -> None:
    response = client.get(f"/mailer/outbox/?page={page}", environ_base={"REMOTE_ADDR": "127.0.0.1"})  # local only
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_a_csv_import_field_over_128_kb_is_a_422(client: Client,
                                                admin_headers: Callable[[str], dict[str, str]]) -> None:
    big = "email;name\r\nx@example.org;" + "a" * 200_000 + "\r\n"
    response = client.post("/newsletter/api/v1/subscribers/import", data=big.encode(), content_type="text/csv",
                           headers=admin_headers("coordinator"))
    problem = assert_problem(response, 422)
    assert "Row 2" in problem["errors"]["file"][0]
    listing = client.get("/newsletter/api/v1/subscribers", headers=admin_headers("coordinator"))
    assert listing.get_json()["total"] == 0  # nothing imported


BAD_BODIES = {
    "unknown field": '{"zzz": 1}',
    "wrong types": '{"email": 5, "checked_in": 1, "title": [], "decision": {}}',
    "NUL": '{"zzz": "\\u0000"}',
    "lone surrogate": f'{{"email": "{LONE_SURROGATE}"}}',
    "nesting": "[" * 100_000 + "]" * 100_000,
    "not JSON": "{",
}


def test_authentication_comes_before_validation(apps: dict[str, Flask], client: Client) -> None:
    """Every guarded operation answers 401 without a token, whatever the body or query (not 422 or 400)."""
    wrong: list[str] = []
    guarded = [operation for operation in api_operations(apps) if operation.roles is not None]
    assert guarded
    for operation in guarded:
        for name, raw in BAD_BODIES.items():
            query = "?zzz=%00&after=99999999999999999999&status=nonsense"
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                response = post_raw(client, operation.path + query, raw, headers, method=operation.method)
                if response.status_code != 401 or response.mimetype != PROBLEM_JSON:
                    wrong.append(f"{operation} with {name} ({headers or 'no token'}): {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_the_bounce_webhook_checks_its_secret_before_the_body(client: Client) -> None:
    for raw in BAD_BODIES.values():
        assert_problem(post_raw(client, "/mailer/api/v1/bounces", raw), 401)
        assert_problem(post_raw(client, "/mailer/api/v1/bounces", raw, {"Authorization": "Bearer wrong"}), 401)
    problem = assert_problem(post_raw(client, "/mailer/api/v1/bounces", '{"zzz": 1}',
                                      {"Authorization": f"Bearer {BOUNCE_SECRET}"}), 422)
    assert "zzz" in problem["errors"]


def test_a_valid_token_without_the_role_is_a_403_before_validation(
        client: Client, admin_headers: Callable[[str], dict[str, str]]) -> None:
    response = post_raw(client, "/newsletter/api/v1/subscribers/import", "{", admin_headers("organizer"))
    assert_problem(response, 403)
    response = post_raw(client, "/events/api/v1/events", '{"zzz": 1}', admin_headers("editor"))
    assert_problem(response, 403)


# --- strict types, as the OpenAPI says ---------------------------------------------------------------

CONFUSED = [
    ("PATCH", "/events/api/v1/registrations/1", {"checked_in": 1}, "checked_in"),
    ("PATCH", "/events/api/v1/registrations/1", {"checked_in": "true"}, "checked_in"),
    ("POST", "/newsletter/api/v1/issues", {"title": "Numero", "language": "fi", "include_events": 1},
     "include_events"),
    ("POST", "/newsletter/api/v1/issues", {"title": "Numero", "language": "fi", "article_ids": [True]},
     "article_ids"),
    ("POST", "/newsletter/api/v1/issues", {"title": "Numero", "language": "fi", "article_ids": ["1"]},
     "article_ids"),
    ("POST", "/mailer/api/v1/previews", {"template": "newsletter-issue", "language": "fi", "list_mail": 0},
     "list_mail"),
    ("POST", "/events/api/v1/events", {"capacity": True}, "capacity"),
    ("POST", "/events/api/v1/events", {"capacity": "5"}, "capacity"),
    ("POST", "/events/api/v1/events", {"capacity": 5.5}, "capacity"),
    ("POST", "/events/api/v1/events", {"reminder_minutes": [False]}, "reminder_minutes"),
    ("POST", "/events/api/v1/events", {"questions": [{"key": "k", "type": "text", "label": {"fi": "K"},
                                                      "required": 1}]}, "questions"),
]


@pytest.mark.parametrize("case", CONFUSED, ids=[f"{path} {field}={body}" for _m, path, body, field in CONFUSED])
def test_integers_are_not_taken_for_booleans_nor_strings_for_numbers(
        client: Client, admin_headers: Callable[[str], dict[str, str]],
        case: tuple[str, str, dict[str, Any], str]) -> None:
    method, path, body, field = case
    response = client.open(path, method=method, json=body, headers=admin_headers("coordinator"))
    problem = assert_problem(response, 422)
    assert field in problem["errors"], problem


def property_of(spec: dict[str, Any], schema_name: str, field: str) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    return dict(schemas[schema_name]["properties"][field])


def test_the_openapi_states_the_rules_the_server_enforces(apps: dict[str, Flask]) -> None:
    events = apps["events"].extensions["elo_api"].spec.to_dict()
    assert "starts_at" in property_of(events, "EventInput", "ends_at")["x-rule"]
    assert "two options" in property_of(events, "Question", "options")["x-rule"]
    assert property_of(events, "Question", "required")["type"] == "boolean"
    assert property_of(events, "RegistrationPatch", "checked_in")["type"] == "boolean"
    assert property_of(events, "EventInput", "capacity")["type"] == "integer"
    subscriptions = apps["subscriptions"].extensions["elo_api"].spec.to_dict()
    after = next(parameter for parameter in subscriptions["paths"]["/api/v1/subscribers"]["get"]["parameters"]
                 if parameter["name"] == "after")
    assert after["schema"]["maximum"] == 2**31 - 1
    assert "x-rule" in property_of(subscriptions, "IssueIn", "article_ids")
    imports = subscriptions["paths"]["/api/v1/subscribers/import"]["post"]["requestBody"]["content"]
    assert "128 KB" in imports["text/csv"]["schema"]["x-rule"]
    for spec in (events, subscriptions, apps["mailer"].extensions["elo_api"].spec.to_dict()):
        assert "NUL" in spec["info"]["description"]
