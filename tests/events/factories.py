"""Factories for events tests: events and registrations through the real use-cases."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from flask import Flask

from services.events.models import Event, Registration, db
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


def register(app: Flask, event_id: int, email: str, **overrides: Any) -> Registration:
    raw = {"name": "Testi Henkilö", "email": email, "organisation": "Oulun kaupunki", "participation": "onsite",
           "language": "fi", **overrides}
    with app.app_context(), db.transaction() as session:
        outcome = registrations.register(session, event_id, raw, secret_key=app.config["SECRET_KEY"])
        return outcome.registration
