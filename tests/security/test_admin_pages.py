"""Admin pages (the coordinator login area of each service): no page without a login, no change
without the session's CSRF token. Discovered from every app's url_map (endpoints of admin blueprints)."""

from __future__ import annotations

from werkzeug.test import Client

from tests.security.conftest import HTML, Route


def admin_routes(routes: list[Route]) -> list[Route]:
    return [route for route in routes
            if "admin" in route.rule.endpoint.split(".")[0] and not route.rule.endpoint.endswith((".login", ".logout"))]


def test_every_admin_page_needs_a_login(routes: list[Route], client: Client) -> None:
    problems = []
    for route in admin_routes(routes):
        for method in sorted(route.methods):
            response = client.open(route.path(), method=method, headers=HTML)
            location = response.headers.get("Location", "")
            redirected_to_login = response.status_code in (302, 303) and "login" in location
            refused = response.status_code in (400, 401, 403)
            if not (redirected_to_login or refused):
                problems.append(f"{method} {route.path()} without a login: {response.status_code} {location}")
    assert not problems, "\n".join(problems)


def test_no_admin_form_is_accepted_without_the_csrf_token(routes: list[Route], client: Client) -> None:
    """Also a logged-out POST must be refused before anything else (400 CSRF, or a login redirect)."""
    problems = []
    for route in admin_routes(routes) + [r for r in routes if r.rule.endpoint.endswith(".login")]:
        if "POST" not in route.methods:
            continue
        response = client.post(route.path(), data={"email": "a@example.org", "password": "x" * 12}, headers=HTML)
        if response.status_code not in (400, 403) and not (response.status_code in (302, 303)
                                                            and "login" in response.headers.get("Location", "")):
            problems.append(f"POST {route.path()} without CSRF token: {response.status_code}")
    assert not problems, "\n".join(problems)
