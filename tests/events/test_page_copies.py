"""The events list, an event page and the calendar feed are served from rendered copies (pages.copies,
issue #19): a copy is served again only while nothing it shows has changed — an edit, a new event or
a seat taken or freed shows at once."""

from __future__ import annotations

from typing import Any

from services.events.models import db
from services.events.operations import events as event_cases
from services.events.operations import registrations
from services.events.pages import copies
from tests.events.factories import make_event, register
from tests.events.test_availability import page_text


def test_an_unchanged_page_is_served_from_its_copy(client: Any, events_app: Any, monkeypatch: Any) -> None:
    event = make_event(events_app, capacity=5)
    first = client.get(f"/events/{event.slug}").get_data(as_text=True)
    client.get("/events/")
    rendered: list[Any] = []
    monkeypatch.setattr(copies.pages, "put", lambda *args: rendered.append(args))
    assert client.get(f"/events/{event.slug}").get_data(as_text=True) == first
    client.get("/events/")
    assert rendered == []  # both served from their copies


def test_seats_taken_and_freed_show_at_once_on_the_event_page_and_in_the_list(client: Any, events_app: Any) -> None:
    event = make_event(events_app, capacity=3)
    for path in (f"/events/{event.slug}", "/events/"):
        assert "3 paikkaa jäljellä" in page_text(client, path)
    taken = register(events_app, event.id, "a@example.fi")
    for path in (f"/events/{event.slug}", "/events/"):
        assert "2 paikkaa jäljellä" in page_text(client, path)
    with events_app.app_context(), db.transaction() as session:
        registrations.cancel_registration(session, taken.id)
    for path in (f"/events/{event.slug}", "/events/"):
        assert "3 paikkaa jäljellä" in page_text(client, path)


def test_an_edit_or_a_new_event_shows_at_once_in_the_list_the_page_and_the_feed(client: Any, events_app: Any) -> None:
    event = make_event(events_app)
    for path in (f"/events/{event.slug}", "/events/", "/events/calendar.ics"):
        client.get(path)
    with events_app.app_context(), db.transaction() as session:
        event_cases.update_event(session, event.id, {"title": {"fi": "Uusi otsikko", "sv": "Ny rubrik"}})
    assert "Uusi otsikko" in page_text(client, f"/events/{event.slug}")
    assert "Uusi otsikko" in page_text(client, "/events/")
    assert "Uusi otsikko" in client.get("/events/calendar.ics").get_data(as_text=True)
    other = make_event(events_app, title={"fi": "Toinen tapahtuma", "sv": "Ett annat evenemang"})
    assert "Toinen tapahtuma" in page_text(client, "/events/")
    assert other.slug in client.get("/events/calendar.ics").get_data(as_text=True)
