"""The organiser's workspace at /events/admin/: events, registrations with the waiting list,
check-in, CSV export and the feedback summary. Pages only; the use-cases are services.events.operations."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from shared.web_auth import admin_blueprint, init_admin

BLUEPRINT = "events_admin"


def register(app: Flask) -> None:
    from services.events.admin import pages

    blueprint = admin_blueprint(BLUEPRINT, __name__, roles=("organizer",), home_endpoint="dashboard")
    pages.add_routes(blueprint)
    init_admin(app, blueprint, Path(__file__).parent / "translations")
