"""The demo content loads on an empty database and shows every capability."""

from __future__ import annotations

from sqlalchemy import select

from services.events import demo
from services.events.models import Event, db
from services.events.operations import feedback, seats
from tests.events.ics import events_of


def test_demo_seeds_a_full_seminar_trainings_a_recurring_meeting_and_a_swedish_event(events_app, client):
    with events_app.app_context(), db.transaction() as session:
        demo.seed(session)
    with db.transaction() as session:
        events = {e.slug: e for e in session.scalars(select(Event))}
        seminar = events["elo-foorumi"]
        taken = seats.seats(session, seminar.id)
        assert (taken.confirmed, taken.waitlisted) == (40, 6)
        assert any(e.rrule for e in events.values())
        assert any(e.languages == ["sv"] for e in events.values())
        past = next(e for e in events.values() if e.kind.value == "network-meeting" and "sv" not in e.languages)
        assert feedback.feedback_summary(session, past.id)["responses"] == 5
    feed = client.get("/events/calendar.ics").get_data(as_text=True)
    assert len(events_of(feed)) == len(events)
    assert "Pohjois-Pohjanmaan ELO-foorumi" in client.get("/events/?lang=fi").get_data(as_text=True)
    assert "Informationsmöte" in client.get("/events/?lang=sv").get_data(as_text=True)
