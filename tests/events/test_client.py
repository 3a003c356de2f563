"""The typed client other services use to reach events (shared/clients/events.py), against the real app."""

from __future__ import annotations

import pytest

from services.events.models import db
from services.events.operations import feedback
from shared.clients.events import EventsClient
from shared.internal import ServiceCallFailed
from tests.events.factories import make_event, register


def test_upcoming_events_are_read_without_a_token_soonest_first(apps, events_app):
    next_week = make_event(events_app, slug="next-week")
    make_event(events_app, slug="in-2040", starts_at="2040-01-01T10:00:00", ends_at="2040-01-01T12:00:00")
    next_week_id = next_week.id
    make_event(events_app, slug="hidden-event", visibility="unlisted")
    with apps["subscriptions"].app_context():
        upcoming = EventsClient().upcoming_events(limit=5)
        assert [item["slug"] for item in upcoming] == ["next-week", "in-2040"]
        assert upcoming[0]["id"] == next_week_id
        assert upcoming[0]["title"]["fi"].startswith("Digitaaliset ohjaustaidot")
        assert upcoming[0]["url"].endswith("/events/next-week")
        assert isinstance(upcoming[0]["starts_at"], str)
        assert len(EventsClient().upcoming_events(limit=1)) == 1


def test_personal_data_export_carries_the_service_token(apps, events_app):
    event = make_event(events_app)
    registration = register(events_app, event.id, "kaisa.korhonen@example.fi", name="Kaisa Korhonen")
    with events_app.app_context(), db.transaction() as session:
        feedback.submit_feedback(session, session.merge(registration), {"overall": "4"})
    with apps["subscriptions"].app_context():
        exported = EventsClient().export_personal_data("Kaisa.Korhonen@example.fi")
    assert exported["service"] == "events"
    assert [row["name"] for row in exported["data"]["registrations"]] == ["Kaisa Korhonen"]
    assert exported["data"]["feedback"][0]["ratings"] == {"overall": 4}


def test_an_error_answer_becomes_service_call_failed(apps):
    with apps["subscriptions"].app_context(), pytest.raises(ServiceCallFailed, match="422"):
        EventsClient().upcoming_events(limit=0)
