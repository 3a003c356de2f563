"""Factories for events tests: events and registrations through the real use-cases."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from flask import Flask
from sqlalchemy import select

from services.events.models import Event, Registration, RegistrationStatus, db
from services.events.operations import events, registrations
from services.events.schemas import EventInput
from shared.db import utcnow

_numbers = itertools.count(1)


def event_data(**overrides: Any) -> dict[str, Any]:
    """A valid EventInput body (JSON-ready): a hybrid training in Oulu a week from now."""
    n = next(_numbers)
    start = (utcnow() + dt.timedelta(days=7)).replace(microsecond=0, second=0)
    data: dict[str, Any] = {
        "kind": "training",
        "title": {"fi": f"Digitaaliset ohjaustaidot {n}", "sv": f"Digitala vägledningsfärdigheter {n}",
                  "en": f"Digital guidance skills {n}"},
        "description": {"fi": "Koulutus ohjaajille; mukana etäyhteys.", "sv": "Utbildning för vägledare."},
        "themes": ["digital", "quality"],
        "languages": ["fi"],
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=3)).isoformat(),
        "mode": "hybrid",
        "address": "Kauppurienkatu 8, 90100 Oulu",
        "online_url": "https://meet.example.fi/elo-digi",
        "capacity": 20,
        "organiser_name": "Anna Koordinaattori",
        "organiser_email": "anna.koordinaattori@example.fi",
    }
    data.update(overrides)
    return data


def make_event(app: Flask, **overrides: Any) -> Event:
    data = EventInput().load(event_data(**overrides))
    with app.app_context(), db.transaction() as session:
        return events.create_event(session, data)


def register(app: Flask, event_id: int, email: str, *, confirm: bool = True, **overrides: Any) -> Registration:
    """Register through the use-case; with `confirm` (the default) the person then confirms the
    address through the link in the email, so a free seat is `confirmed` as before holds existed."""
    raw = {"name": "Testi Henkilö", "email": email, "organisation": "Oulun kaupunki", "participation": "onsite",
           "language": "fi", **overrides}
    with app.app_context(), db.transaction() as session:
        outcome = registrations.register(session, event_id, raw, secret_key=app.config["SECRET_KEY"])
        registration = outcome.registration
    if confirm and registration.status in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED):
        confirm_by_link(app, registration.id)
        with app.app_context(), db.transaction() as session:
            registration = session.get_one(Registration, registration.id)
    return registration


def confirm_url_of(app: Flask, registration_id: int) -> str:
    """The confirmation link in the newest email to this registration that has one."""
    from shared.models import OutboxMessage

    with app.app_context(), db.transaction() as session:
        email = session.get_one(Registration, registration_id).email
        payloads = [row.payload for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.actor_name == "mailer.send_email")
            .order_by(OutboxMessage.id.desc()))]
    for payload in payloads:
        if payload["recipient"]["email"] == email and payload["context"].get("confirm_url"):
            return str(payload["context"]["confirm_url"])
    raise AssertionError(f"no email with a confirmation link went to registration {registration_id}")


def confirm_by_link(app: Flask, registration_id: int) -> None:
    """Open the link from the email and press the button on the page (a POST), as the person would."""
    path = confirm_url_of(app, registration_id).split("/events", 1)[1]
    client = app.test_client()
    assert client.get(path).status_code == 200
    answer = client.post(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
