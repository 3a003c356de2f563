"""The organiser's event tools in a real Chromium, at a desktop (1280 px) and a phone (390 px) width,
axe-clean and without sideways scrolling: availability per way of taking part on the public pages,
the questions editor (with its error summary) and the feedback request with its confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from services.events.models import Event, db
from services.events.operations import registrations
from shared.db import utcnow
from tests.e2e.helpers import WIDTHS, check_page, log_in_browser, make_user
from tests.events.factories import make_event, register

ORGANISER = "jarjestaja@ely.example.fi"
@pytest.mark.parametrize("width", WIDTHS)
def test_the_organiser_sees_seats_edits_questions_and_sends_the_feedback_request(
        page: Any, apps: dict[str, Flask], check_a11y: Callable[[Any], None], width: int) -> None:
    app = apps["events"]
    page.set_viewport_size({"width": width, "height": 900})
    event = make_event(app, capacity=None, onsite_capacity=1, remote_capacity=5)
    arrived = register(app, event.id, "paikalla@example.fi", participation="onsite")
    with app.app_context(), db.transaction() as session:
        registrations.set_checked_in(session, arrived.id, True)

    page.goto(f"/events/{event.slug}?lang=fi")
    facts = page.locator(".event-facts")
    assert "Paikan päällä: täynnä – jonotuslista" in facts.inner_text()  # noqa: RUF001 - the visible dash
    assert "Etänä: 5 paikkaa jäljellä" in facts.inner_text()
    assert page.get_by_label("Paikan päällä (täynnä – jonotuslista)").count() == 1  # noqa: RUF001
    check_page(page, check_a11y)
    page.goto("/events/?lang=fi")
    assert "Paikan päällä: täynnä" in page.locator(".event-card").first.inner_text()
    check_page(page, check_a11y)

    make_user(ORGANISER, "organizer")
    log_in_browser(page, "/events", ORGANISER)
    page.goto(f"/events/admin/events/{event.id}/questions?lang=fi")
    check_page(page, check_a11y)
    page.get_by_role("link", name="Lisää ilmoittautumisen kysymys").click()
    page.get_by_role("button", name="Tallenna kysymys").click()
    page.wait_for_load_state()
    assert page.title().startswith("Virhe:")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    check_page(page, check_a11y)
    page.fill("#f-label_fi", "Lounas")
    page.check("input[name=type][value=single]")
    page.fill("#f-options_fi", "Liha\nKasvis")
    page.get_by_role("button", name="Tallenna kysymys").click()
    page.wait_for_load_state()
    assert "Kysymys on tallennettu." in page.locator(".status-region").inner_text()
    page.get_by_role("button", name="Siirrä alas – Kokonaisarvio tapahtumasta").click()  # noqa: RUF001
    page.wait_for_load_state()
    feedback_list = page.locator("#list-feedback + p + ol li strong").all_inner_texts()
    assert feedback_list[:2] == ["Hyöty omassa työssäni", "Kokonaisarvio tapahtumasta"]
    check_page(page, check_a11y)

    with app.app_context(), db.transaction() as session:
        row = session.get_one(Event, event.id)
        row.starts_at, row.ends_at = utcnow() - dt.timedelta(hours=3), utcnow() - dt.timedelta(hours=1)
    page.goto(f"/events/admin/events/{event.id}/feedback?lang=fi")
    assert "Palautetta ei ole vielä pyydetty keneltäkään." in page.locator("#response-rate").inner_text()
    check_page(page, check_a11y)
    page.get_by_role("button", name="Jatka").click()
    page.wait_for_load_state()
    assert "ei ole vielä kysytty: 1." in page.locator("main").inner_text()
    check_page(page, check_a11y)
    page.get_by_role("button", name="Kyllä, lähetä pyyntö").click()
    page.wait_for_load_state()
    assert "Palautepyyntöjä lähetetty: 1." in page.locator(".status-region").inner_text()
    assert "Vastausprosentti 0 %" in page.locator("#response-rate").inner_text()
    check_page(page, check_a11y)
