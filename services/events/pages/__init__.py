"""HTML of the events service, one module per audience:

- public: the events list, the year calendar, an event and its registration form, the person's
  own registration and the feedback form
- feeds: the calendar feeds (.ics), public and personal
- workspace: the organiser's pages at /events/admin/
"""

from __future__ import annotations

from flask import Flask

from services.events.pages import feeds, public, workspace


def register(app: Flask) -> None:
    public.add_routes(app)
    feeds.add_routes(app)
    workspace.register(app)
