"""Public endpoints that take input from anyone answer 429 with Retry-After when hammered."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from werkzeug.test import Client, TestResponse

from tests.security import flows
from tests.security.conftest import HTML, Route

ATTEMPTS = 60


def hammer(send: Callable[[int], TestResponse]) -> TestResponse | None:
    """Send until the first 429 (returned), or None when ATTEMPTS all got through."""
    for attempt in range(ATTEMPTS):
        response = send(attempt)
        if response.status_code == 429:
            return response
    return None


def check_429(response: TestResponse | None, what: str, *, html: bool = False) -> list[str]:
    if response is None:
        return [f"{what}: {ATTEMPTS} requests from one address, never a 429"]
    problems = []
    retry_after = response.headers.get("Retry-After", "")
    if not retry_after.isdigit() or int(retry_after) < 1:
        problems.append(f"{what}: 429 with Retry-After {retry_after!r}")
    expected = "text/html" if html else "application/problem+json"
    if response.mimetype != expected:
        problems.append(f"{what}: 429 as {response.mimetype}, expected {expected}")
    return problems


def test_subscribe_api_and_page_are_rate_limited(client: Client, routes: list[Route]) -> None:
    if flows.subscribe(client, flows.address()).status_code == 404:
        pytest.skip("no subscribe API yet")
    problems = check_429(hammer(lambda n: flows.subscribe(client, flows.address(f"rate{n}"))),
                         "POST /newsletter/api/v1/subscriptions")
    if any(str(route) == "/newsletter/" and "POST" in route.methods for route in routes):
        from shared.ratelimit import reset_rates

        reset_rates()
        page = hammer(lambda n: client.post("/newsletter/", headers=HTML, data={
            "email": flows.address(f"page{n}"), "language": "fi", "topics": ["newsletter"]}))
        problems += check_429(page, "POST /newsletter/ (form)", html=True)
    assert not problems, "\n".join(problems)


def test_article_submission_is_rate_limited(client: Client) -> None:
    if flows.submit_article(client).status_code == 404:
        pytest.skip("no article submission API yet")
    problems = check_429(hammer(lambda n: flows.submit_article(client)), "POST /newsletter/api/v1/articles")
    assert not problems, "\n".join(problems)


def test_registration_is_rate_limited(client: Client, admin_headers: Callable[[str], dict[str, str]]) -> None:
    event = flows.create_event(client, admin_headers("organizer"), capacity=1000)
    if event is None:
        pytest.skip("the events API cannot create an event yet")
    response = hammer(lambda n: flows.register(client, event["id"], flows.address(f"reg{n}")))
    problems = check_429(response, f"POST /events/api/v1/events/{event['id']}/registrations")
    assert not problems, "\n".join(problems)
