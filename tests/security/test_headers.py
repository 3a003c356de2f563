"""Security headers on every page and API answer, and no 500 on any GET route (all apps, both backends)."""

from __future__ import annotations

from werkzeug.test import Client

from tests.security.conftest import HTML, Route


def header_problems(response: object, where: str) -> list[str]:
    headers = response.headers  # type: ignore[attr-defined]
    status = response.status_code  # type: ignore[attr-defined]
    problems = []
    if status >= 500:
        problems.append(f"{where}: answered {status}")
    policy = headers.get("Content-Security-Policy", "")
    if "frame-ancestors" not in policy:
        problems.append(f"{where}: Content-Security-Policy without frame-ancestors ({policy!r})")
    if "'unsafe-inline'" in policy.split("script-src", 1)[-1].split(";", 1)[0]:
        problems.append(f"{where}: script-src allows 'unsafe-inline'")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if not headers.get("Referrer-Policy"):
        problems.append(f"{where}: no Referrer-Policy")
    return problems


def test_every_get_route_sends_the_security_headers_and_never_500(routes: list[Route], client: Client) -> None:
    problems: list[str] = []
    checked = 0
    for route in routes:
        if "GET" not in route.methods:
            continue
        path = route.path()
        for headers in (HTML, {"Accept": "application/json"}):
            response = client.get(path, headers=headers)
            problems += header_problems(response, f"GET {path} ({route}, Accept {headers['Accept'][:9]})")
            checked += 1
    assert checked > 10, "too few routes found; discovery is broken"
    assert not problems, "\n".join(problems)


def test_error_pages_send_the_security_headers(client: Client) -> None:
    problems: list[str] = []
    for path in ("/no-such-page", "/newsletter/no-such-page", "/events/no-such-page", "/mailer/no-such-page",
                 "/newsletter/api/v1/no-such-thing"):
        for headers in (HTML, {"Accept": "application/json"}):
            response = client.get(path, headers=headers)
            assert response.status_code == 404, path
            problems += header_problems(response, f"GET {path}")
    assert not problems, "\n".join(problems)
