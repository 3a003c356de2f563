"""Shared pieces of the cross-service reliability tests (test_system_*.py)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from typing import Any

from werkzeug.test import Client

from shared.ratelimit import reset_rates


def event_body(title: str, *, capacity: int = 1000, reminder_minutes: list[int] | None = None) -> dict[str, Any]:
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=10)
    return {
        "kind": "seminar", "mode": "onsite", "capacity": capacity,
        "title": {"fi": title, "sv": f"{title} (sv)", "en": f"{title} (en)"},
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
        "address": "Oulun kaupungintalo, Torikatu 10, Oulu",
        "reminder_minutes": reminder_minutes if reminder_minutes is not None else [2880, 120],
    }


def registration_body(email: str) -> dict[str, Any]:
    return {"name": "Aino Virtanen", "email": email, "organisation": "Oulun kaupunki",
            "participation": "onsite", "language": "fi"}


def addresses(label: str, count: int) -> list[str]:
    run = secrets.token_hex(3)
    return [f"{label}{n}.{run}@example.org" for n in range(count)]


def create_event(client: Client, headers: dict[str, str], title: str, **options: Any) -> dict[str, Any]:
    response = client.post("/events/api/v1/events", json=event_body(title, **options), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


def register_in_process(client: Client, event_id: int, emails: list[str]) -> None:
    for email in emails:
        reset_rates()
        response = client.post(f"/events/api/v1/events/{event_id}/registrations", json=registration_body(email))
        assert response.status_code == 201, response.get_data(as_text=True)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
