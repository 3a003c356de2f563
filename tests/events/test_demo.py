"""The demo content loads on an empty database and shows every capability."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from services.events import demo, demo_year
from services.events.models import Event, db
from services.events.operations import feedback, seats
from shared.db import utcnow
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
        past = next(e for e in events.values() if e.title["fi"] == "Syksyn verkostotapaaminen")
        assert feedback.feedback_summary(session, past.id)["responses"] == 5
    feed = client.get("/events/calendar.ics").get_data(as_text=True)
    in_feed = [e for e in events.values() if e.starts_at >= utcnow() - dt.timedelta(days=365)]  # the feed's year
    assert len(events_of(feed)) == len(in_feed)
    assert "Pohjois-Pohjanmaan ELO-foorumi" in client.get("/events/?lang=fi").get_data(as_text=True)
    assert "Informationsmöte" in client.get("/events/?lang=sv").get_data(as_text=True)


def test_the_demo_holds_a_finished_year_for_the_annual_report(events_app, client, admin_headers):
    with events_app.app_context(), db.transaction() as session:
        demo.seed(session)
    answer = client.get(f"/events/api/v1/reports/years/{demo_year.YEAR}", headers=admin_headers("coordinator"))
    assert answer.status_code == 200
    figures = answer.get_json()
    assert (figures["events"]["total"], figures["events"]["cancelled"]) == (9, 1)
    assert all(count > 0 for count in figures["events"]["by_theme"].values()), "every theme has events"
    assert all(count > 0 for count in figures["events"]["by_kind"].values())
    registrations = figures["registrations"]
    assert registrations["confirmed"] > registrations["attended"] > 100
    assert 0 < registrations["remote_share"] < 1
    assert registrations["cancelled"] > 0
    assert registrations["promoted_from_waiting_list"] == 1
    assert all(count > 0 for key, count in figures["participants_by_sector"].items()), figures["participants_by_sector"]
    assert figures["participants_by_organisation"][0]["count"] > 5
    assert all(entry["responses"] > 0 and 3 <= entry["average"] <= 5 for entry in figures["feedback"])
    assert all(theme["attended"] > 0 for theme in figures["themes"].values())
    people = client.get(f"/events/api/v1/reports/years/{demo_year.YEAR}/participants",
                        headers=admin_headers("coordinator")).get_json()
    assert "sv" in {person["language"] for person in people}
    assert len(people) == len({person["email"] for person in people}) > 50


def test_the_swedish_region_has_its_own_finished_year(events_app, client, admin_headers):
    with events_app.app_context(), db.transaction() as session:
        demo.seed_swedish_region(session)
    figures = client.get(f"/events/api/v1/reports/years/{demo_year.YEAR}?lang=sv",
                         headers=admin_headers("coordinator")).get_json()
    assert (figures["events"]["total"], figures["registrations"]["promoted_from_waiting_list"]) == (4, 1)
    assert figures["feedback"][0]["title"] == "Vägledning på distans: verktyg och arbetssätt"
    assert figures["participants_by_organisation"][0]["organisation"] in {
        name for name, _sector in demo_year.OSTERBOTTEN_MEMBERS}
