"""Small journeys the security tests run through the public APIs (subscribe, register, submit)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from werkzeug.test import Client, TestResponse


def address(label: str = "person") -> str:
    return f"{label}.{secrets.token_hex(4)}@example.org"


def subscribe(client: Client, email: str, name: str = "Maija Meikäläinen", **extra: Any) -> TestResponse:
    body = {"email": email, "name": name, "language": "fi", "topics": ["newsletter", "events"], **extra}
    return client.post("/newsletter/api/v1/subscriptions", json=body)


def event_body(**overrides: Any) -> dict[str, Any]:
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30)
    body: dict[str, Any] = {
        "kind": "seminar",
        "title": {"fi": "Ohjauksen verkostopäivä", "sv": "Nätverksdag för vägledning", "en": "Guidance network day"},
        "description": {"fi": "Ohjelma ja ilmoittautuminen."},
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
        "mode": "onsite",
        "address": "Oulun kaupungintalo, Torikatu 10, Oulu",
        "capacity": 50,
        "languages": ["fi", "sv", "en"],
    }
    body.update(overrides)
    return body


def create_event(client: Client, headers: dict[str, str], **overrides: Any) -> dict[str, Any] | None:
    """A published event through the admin API, or None when the events API cannot make one yet."""
    response = client.post("/events/api/v1/events", json=event_body(**overrides), headers=headers)
    if response.status_code != 201:
        return None
    event: dict[str, Any] = response.get_json()
    return event


def register(client: Client, event_id: int, email: str, name: str = "Matti Virtanen", **extra: Any) -> TestResponse:
    body = {"name": name, "email": email, "organisation": "Oulun kaupunki", "participation": "onsite",
            "language": "fi", **extra}
    return client.post(f"/events/api/v1/events/{event_id}/registrations", json=body)


def article_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Ohjausta kaikenikäisille Oulussa",
        "summary": "Uusi ohjauspiste avautui kirjaston yhteyteen.",
        "body": "Ohjauspisteestä saa neuvoja opiskeluun ja työhön. Tervetuloa!",
        "author_name": "Liisa Korhonen",
        "email": address("author"),
        "organisation": "Oulun seudun ammattiopisto",
        "themes": ["digital"],
        "language": "fi",
    }
    body.update(overrides)
    return body


def submit_article(client: Client, **overrides: Any) -> TestResponse:
    return client.post("/newsletter/api/v1/articles", json=article_body(**overrides))
