"""Every route with a link token in its URL refuses tampered, expired and wrong-purpose tokens with
a clear 4xx page (never a 500, never the action). Real tokens come from the links the system itself
wrote (outbox payloads, rendered mail) after a subscription and a registration; routes are found
from the url_map (any URL argument named like `token`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from itsdangerous import TimestampSigner
from werkzeug.exceptions import HTTPException
from werkzeug.test import Client

from shared.settings import Settings
from shared.tokens import make_token
from tests.security import flows
from tests.security.conftest import HTML, Route, links_written

TOO_OLD = dt.timedelta(days=4000)  # longer than any link lives (unsubscribe links: 3 years)
# Links that deliberately never expire, with the reason (they are still signed and purpose-bound).
NEVER_EXPIRE = {
    "/events/calendar/<token>.ics": "a personal feed is subscribed to in a calendar app, which polls it for years",
}


def token_routes(routes: list[Route]) -> list[Route]:
    return [route for route in routes if route.token_arguments]


def real_tokens(client: Client, apps: dict[str, Flask], routes: list[Route],
                headers: Callable[[str], dict[str, str]]) -> dict[str, str]:
    """{route: a token the system made for that route}, from a subscription (confirmed, so the welcome
    mail brings the unsubscribe link), an article submission and a registration."""
    flows.subscribe(client, flows.address("tokens"))
    for link in links_written(apps):
        if "/confirm/" in link:
            client.post(urlsplit(link).path)
    flows.submit_article(client)
    event = flows.create_event(client, headers("organizer"))
    if event is not None:
        flows.register(client, event["id"], flows.address("registrant"))
    found: dict[str, str] = {}
    for link in links_written(apps):
        path = urlsplit(link).path
        for route in token_routes(routes):
            matched = _match(route, path)
            if matched:
                found.setdefault(str(route), matched[route.token_arguments[0]])
    return found


def _match(route: Route, path: str) -> dict[str, str] | None:
    if not path.startswith(route.prefix + "/") and route.prefix:
        return None
    adapter = route.app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(path.removeprefix(route.prefix) or "/", method=sorted(route.methods)[0])
    except HTTPException:  # not found, wrong method, or a slash redirect: not this route
        return None
    return {k: str(v) for k, v in values.items()} if endpoint == route.rule.endpoint else None


def tampered(token: str) -> str:
    """Change one character in the middle of the signature (the last part)."""
    head, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    replacement = "A" if signature[middle] != "A" else "B"
    return f"{head}.{signature[:middle]}{replacement}{signature[middle + 1:]}"


def check_refused(client: Client, route: Route, token: str, label: str) -> list[str]:
    problems = []
    path = route.path(**dict.fromkeys(route.token_arguments, token))
    for method in sorted(route.methods & {"GET", "POST"}):
        data = {"List-Unsubscribe": "One-Click"} if method == "POST" else None
        response = client.open(path, method=method, data=data, headers=HTML)
        where = f"{method} {route} with a {label} token"
        if not 400 <= response.status_code < 500:
            problems.append(f"{where}: expected a 4xx page, got {response.status_code}")
            continue
        text = response.get_data(as_text=True)
        if response.mimetype == "text/html" and len(re.sub(r"<[^>]+>", "", text).strip()) < 20:
            problems.append(f"{where}: {response.status_code} page says nothing")
    return problems


def test_made_up_and_wrong_purpose_tokens_are_refused(routes: list[Route], client: Client,
                                                      settings: Settings) -> None:
    found = token_routes(routes)
    if not found:
        pytest.skip("no route takes a link token yet")
    bad = {
        "made-up": "not-a-token",
        "wrong-purpose": make_token(settings.secret_key, "security-test-other-purpose", {"id": 1}),
        "wrong-key": make_token("another-secret-key-" + "z" * 32, "confirm-subscription", {"id": 1}),
    }
    problems = [problem for route in found for label, token in bad.items()
                for problem in check_refused(client, route, token, label)]
    assert not problems, "\n".join(problems)


def test_real_tokens_on_another_route_are_refused(routes: list[Route], client: Client, apps: dict[str, Flask],
                                                  admin_headers: Callable[[str], dict[str, str]]) -> None:
    tokens = real_tokens(client, apps, routes, admin_headers)
    if len(tokens) < 2:
        pytest.skip(f"fewer than two token routes have real tokens yet ({sorted(tokens)})")
    problems = []
    for route in token_routes(routes):
        for other, token in tokens.items():
            # A token for one link must not open another (the same purpose may serve two URLs, e.g. .ics).
            if other != str(route) and _purpose_family(other) != _purpose_family(str(route)):
                problems += check_refused(client, route, token, f"real {other}")
    assert not problems, "\n".join(problems)


def _purpose_family(route: str) -> str:
    return route.split("<", 1)[0]


def test_tampered_and_expired_real_tokens_are_refused(routes: list[Route], client: Client,
                                                      apps: dict[str, Flask], monkeypatch: pytest.MonkeyPatch,
                                                      admin_headers: Callable[[str], dict[str, str]]) -> None:
    tokens = real_tokens(client, apps, routes, admin_headers)
    if not tokens:
        pytest.skip("no real link token was written yet")
    # A route under another (…/preferences/<token>/export) takes the same token as its parent page.
    covered = [(route, token) for route in token_routes(routes)
               for name, token in tokens.items() if str(route).startswith(name)]
    problems = []
    for route, token in covered:
        problems += check_refused(client, route, tampered(token), "tampered")
    real_timestamp = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: real_timestamp(self) + int(TOO_OLD.total_seconds()))
    for route, token in covered:
        if str(route) not in NEVER_EXPIRE:
            problems += check_refused(client, route, token, "expired")
    assert not problems, "\n".join(problems)
