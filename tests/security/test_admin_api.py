"""Every admin API operation: no token → 401, wrong role → 403, right role → through the guard.

Operations are discovered from each service's OpenAPI document; the roles come from the
`require_role` guard on the view itself. An API operation without a guard must be listed in
PUBLIC with the reason it is public, so a forgotten guard fails here.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from werkzeug.test import Client

from shared.auth import ROLES
from tests.security.conftest import ApiOperation, api_operations

# (method, service, OpenAPI path) → why anyone may call it.
PUBLIC: dict[tuple[str, str, str], str] = {
    ("POST", "subscriptions", "/api/v1/subscriptions"): "anyone may subscribe; double opt-in by email",
    ("POST", "subscriptions", "/api/v1/articles"): "members of the network submit articles for review",
    ("GET", "events", "/api/v1/events"): "the public list of published events",
    ("GET", "events", "/api/v1/events/{event_id}"): "one published event",
    ("GET", "events", "/api/v1/events/{slug}"): "one published event",
    ("POST", "events", "/api/v1/events/{event_id}/registrations"): "anyone may register for a public event",
    ("POST", "mailer", "/api/v1/bounces"): "bounce webhook, authenticated by ELO_BOUNCE_SECRET, not a role",
}


def _send(client: Client, operation: ApiOperation, headers: dict[str, str]) -> int:
    body = {} if operation.method in {"POST", "PUT", "PATCH"} else None
    return client.open(operation.path, method=operation.method, json=body, headers=headers).status_code


def test_every_api_operation_is_guarded_or_explicitly_public(apps: dict[str, Flask]) -> None:
    unguarded = [f"{op} (add require_role, or list it in PUBLIC with the reason)"
                 for op in api_operations(apps)
                 if op.roles is None and (op.method, op.service, op.template) not in PUBLIC]
    assert not unguarded, "\n".join(unguarded)


def test_admin_operations_refuse_a_missing_or_unknown_token(apps: dict[str, Flask], client: Client) -> None:
    problems = []
    guarded = [op for op in api_operations(apps) if op.roles is not None]
    assert guarded, "no guarded operation found; discovery is broken"
    for operation in guarded:
        for label, headers in (("no token", {}), ("unknown token", {"Authorization": "Bearer elo_not-a-token"}),
                               ("not a bearer", {"Authorization": "Basic YWRtaW46YWRtaW4="})):
            response = client.open(operation.path, method=operation.method,
                                   json={} if operation.method in {"POST", "PUT", "PATCH"} else None,
                                   headers=headers)
            if response.status_code != 401:
                problems.append(f"{operation} with {label}: expected 401, got {response.status_code}")
            elif response.mimetype != "application/problem+json":
                problems.append(f"{operation} with {label}: 401 as {response.mimetype}, not problem+json")
            elif label == "no token" and "Bearer" not in response.headers.get("WWW-Authenticate", ""):
                problems.append(f"{operation}: 401 without WWW-Authenticate: Bearer")
    assert not problems, "\n".join(problems)


def test_admin_operations_refuse_the_wrong_role(apps: dict[str, Flask], client: Client,
                                                admin_headers: Callable[[str], dict[str, str]]) -> None:
    problems = []
    tried = 0
    for operation in (op for op in api_operations(apps) if op.roles is not None):
        for role in sorted(set(ROLES) - set(operation.roles or ())):
            tried += 1
            status = _send(client, operation, admin_headers(role))
            if status != 403:
                problems.append(f"{operation} as {role} (allowed: {sorted(operation.roles or ())}): "
                                f"expected 403, got {status}")
    assert tried, "every guarded operation allows every role; nothing to check"
    assert not problems, "\n".join(problems)


def test_admin_operations_let_the_right_role_through(apps: dict[str, Flask], client: Client,
                                                     admin_headers: Callable[[str], dict[str, str]]) -> None:
    problems = []
    for operation in (op for op in api_operations(apps) if op.roles is not None):
        for role in sorted((set(operation.roles or ()) | {"coordinator"}) & set(ROLES)):
            status = _send(client, operation, admin_headers(role))
            if status in (401, 403) or status >= 500:
                problems.append(f"{operation} as {role}: got {status}")
    assert not problems, "\n".join(problems)
