"""Calendar UIDs outlive a move of the site (#14): the domain in `<uuid>@<domain>` is stored the first
time a UID is made and kept when ELO_BASE_URL changes, so no subscriber's calendar shows an event twice."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from services import events as events_service
from services.events import links
from services.events.models import CalendarDomain, db
from shared.settings import load_settings
from tests.events.factories import make_event, register
from tests.events.ics import events_of, prop

MOVED_TO = "https://tapahtumat.elo-verkosto.example"


def _moved_app(backend: Any) -> Flask:
    """The events service after the move: a new ELO_BASE_URL, the same database."""
    settings = load_settings(backend.env(ELO_BASE_URL=MOVED_TO))
    return events_service.create_app({"ELO_SETTINGS": settings, "TESTING": True})


def _uids(text: str) -> dict[str, str]:
    """UID by URL of every VEVENT in a calendar text."""
    return {prop(vevent, "url"): prop(vevent, "uid") for vevent in events_of(text)}


def _uid_set(text: str) -> set[str]:
    return {prop(vevent, "uid") for vevent in events_of(text)}


def _attachment_uid(email: dict[str, Any]) -> str:
    [vevent] = events_of(email["attachments"][0]["content"])
    return prop(vevent, "uid")


def _stored_domains() -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(CalendarDomain.domain)))


def _personal_path(app: Flask, registration: Any) -> str:
    with app.test_request_context():
        return links.personal_calendar_url(registration).split("/events", 1)[1]


def test_the_feeds_and_the_mailed_ics_keep_their_uids_when_the_base_url_changes(
        apps, backend, sent_emails, events_app):
    seminar = make_event(events_app, kind="seminar")
    training = make_event(events_app)
    before = events_app.test_client()
    public_before = before.get("/calendar.ics").get_data(as_text=True)  # the first UID ever: made by the feed
    assert _stored_domains() == ["127.0.0.1"]
    registration = register(events_app, training.id, "kaisa.korhonen@example.fi")
    mailed_before = _attachment_uid(sent_emails("registration-confirmed")[-1])
    one_before = before.get(f"/{seminar.slug}.ics").get_data(as_text=True)
    personal_before = before.get(_personal_path(events_app, registration)).get_data(as_text=True)

    moved = _moved_app(backend)
    after = moved.test_client()
    public_after = after.get("/calendar.ics").get_data(as_text=True)
    assert all(url.startswith(MOVED_TO) for url in _uids(public_after))  # links follow the new address …
    assert _uid_set(public_after) == _uid_set(public_before)  # … the UIDs stay
    assert len(_uid_set(public_after)) == 2
    assert _uid_set(after.get(f"/{seminar.slug}.ics").get_data(as_text=True)) == _uid_set(one_before)
    personal_after = after.get(_personal_path(events_app, registration)).get_data(as_text=True)
    assert _uid_set(personal_after) == _uid_set(personal_before) == {mailed_before}

    register(moved, training.id, "ville.virtanen@example.fi")  # mailed after the move
    new_email = sent_emails("registration-confirmed")[-1]
    assert new_email["context"]["event_url"].startswith(MOVED_TO)
    assert _attachment_uid(new_email) == mailed_before
    assert _stored_domains() == ["127.0.0.1"]


def test_a_site_whose_first_uid_comes_after_the_move_uses_the_new_host(apps, backend, sent_emails, events_app):
    event = make_event(events_app)
    moved = _moved_app(backend)
    register(moved, event.id, "anna.nieminen@example.fi")  # the first UID ever: in the confirmation's .ics
    mailed = _attachment_uid(sent_emails("registration-confirmed")[-1])
    assert mailed.endswith("@tapahtumat.elo-verkosto.example")
    assert _stored_domains() == ["tapahtumat.elo-verkosto.example"]
    assert _uid_set(events_app.test_client().get("/calendar.ics").get_data(as_text=True)) == {mailed}
