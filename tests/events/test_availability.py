"""Availability before anyone registers: free seats per way of taking part, counted in one place
(operations.seats.availability) and shown in words on the event page and in the events list."""

from __future__ import annotations

import html
import re
from typing import Any

from services.events.models import Participation, db
from services.events.operations import seats
from tests.events.factories import make_event, register


def availability_of(app: Any, event_id: int) -> list[tuple[str | None, int | None]]:
    from services.events.models import Event

    with app.app_context(), db.transaction() as session:
        event = session.get_one(Event, event_id)
        return [(a.participation.value if a.participation else None, a.seats_left)
                for a in seats.availability(session, event)]


def page_text(client: Any, path: str) -> str:
    """The page's text as read, tags left out."""
    markup = client.get(path).get_data(as_text=True)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def test_a_hybrid_event_full_on_site_shows_remote_seats_left_on_its_page_and_in_the_list(client, events_app):
    event = make_event(events_app, capacity=None, onsite_capacity=2, remote_capacity=3)
    register(events_app, event.id, "a@example.fi", participation="onsite")
    register(events_app, event.id, "b@example.fi", participation="onsite")
    register(events_app, event.id, "c@example.fi", participation="remote")
    assert availability_of(events_app, event.id) == [("onsite", 0), ("remote", 2)]
    for language, onsite, remote in (("fi", "Paikan päällä: täynnä \u2013 jonotuslista", "Etänä: 2 paikkaa jäljellä"),
                                     ("sv", "På plats: fullt \u2013 väntelista", "På distans: 2 platser kvar"),
                                     ("en", "On site: full \u2013 waiting list", "Remotely: 2 seats left")):
        for path in (f"/events/{event.slug}?lang={language}", f"/events/?lang={language}"):
            text = page_text(client, path)
            assert onsite in text, (path, text)
            assert remote in text, path
    form = page_text(client, f"/events/{event.slug}?lang=en")
    assert "On site (full \u2013 waiting list)" in form  # the choice in the registration form says it too
    assert "Remotely (2 seats left)" in form


def test_one_seat_left_is_singular_and_a_shared_total_is_one_line(client, events_app):
    event = make_event(events_app, capacity=2)
    register(events_app, event.id, "a@example.fi", participation="remote")
    assert availability_of(events_app, event.id) == [(None, 1)]
    assert "1 seat left" in page_text(client, f"/events/{event.slug}?lang=en")
    assert "1 paikka jäljellä" in page_text(client, f"/events/{event.slug}?lang=fi")


def test_a_limit_on_one_way_leaves_the_other_open_and_the_total_caps_both(events_app):
    open_remote = make_event(events_app, capacity=None, onsite_capacity=5)
    assert availability_of(events_app, open_remote.id) == [("onsite", 5), ("remote", None)]
    capped = make_event(events_app, capacity=3, onsite_capacity=10, remote_capacity=10)
    for email in ("a@example.fi", "b@example.fi"):
        register(events_app, capped.id, email, participation="remote")
    assert availability_of(events_app, capped.id) == [("onsite", 1), ("remote", 1)]


def test_a_free_seat_someone_waits_for_is_shown_as_full(events_app):
    from services.events.models import Event

    event = make_event(events_app, capacity=None, onsite_capacity=1, remote_capacity=5)
    register(events_app, event.id, "a@example.fi", participation="onsite")
    waiting = register(events_app, event.id, "b@example.fi", participation="onsite", confirm=False)
    assert waiting.status.value == "waitlisted"
    with events_app.app_context(), db.transaction() as session:
        # A raise the organiser makes without the promotion (as a race would leave it for a moment):
        session.get_one(Event, event.id).onsite_capacity = 2
    assert availability_of(events_app, event.id)[0] == ("onsite", 0)


def test_no_limits_show_nothing_and_events_closed_for_registration_show_no_seats(client, events_app):
    unlimited = make_event(events_app, capacity=None)
    assert availability_of(events_app, unlimited.id) == []
    assert "Seats left" not in page_text(client, f"/events/{unlimited.slug}?lang=en")
    closed = make_event(events_app, capacity=1, registration_closes_at="2020-01-01T00:00:00")
    assert "Seats left" not in page_text(client, f"/events/{closed.slug}?lang=en")


def test_the_list_counts_every_event_in_one_query(events_app):
    from sqlalchemy import event as sa_event

    from services.events.models import Event

    made = [make_event(events_app, capacity=4).id for _ in range(5)]
    statements: list[str] = []
    with events_app.app_context(), db.transaction() as session:
        found = [session.get_one(Event, event_id) for event_id in made]
        engine = session.get_bind()

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            by_event = seats.availability_by_event(session, found)
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if "registrations" in s]) == 1
    assert {event_id: items[0].seats_left for event_id, items in by_event.items()} == dict.fromkeys(made, 4)
    assert all(items[0].participation is None for items in by_event.values())
    assert Participation.ONSITE.value == "onsite"
