"""Check-in at the door on a phone: the organiser's registration list fits a 390 px screen and 200 %
zoom (a 640 px viewport at device scale 2) without sideways scrolling, in Finnish, Swedish and
English; search, check-in with one tap back to the row, and a cancellation that asks first and
can be undone without anyone being mailed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.e2e.conftest import LANGUAGES
from tests.e2e.helpers import log_in_browser, make_user

ORGANISER = "jarjestaja@example.fi"
VIEWS = {"phone": (390, 844, 3), "desktop": (1280, 900, 1), "zoom-200": (640, 450, 2)}
PEOPLE = [  # long names, addresses and organisations: the worst case for a narrow screen
    ("Maria-Kristiina Väänänen-Lindqvist",
     "maria-kristiina.vaananen-lindqvist@pohjois-pohjanmaan-ely-keskus.example.fi",
     "Pohjois-Pohjanmaan elinkeino-, liikenne- ja ympäristökeskus"),
    ("Bo Berg", "bo.berg@vasa.example.fi", "Yrkeshögskolan Novia, studievägledningen"),
    ("Cecilia Lund", "cecilia.lund@example.fi", "Oulun kaupunki"),
    ("Daniel Ek", "daniel.ek@example.fi", "Vaasan yliopisto"),
    ("Eino Leino", "eino.leino@example.fi", "Kokkolan kaupunki"),
    ("Fanny Holm", "fanny.holm@example.fi", "Ohjaamo Oulu"),
]
FITS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def fits(page: Any) -> None:
    scroll_width, inner_width = page.evaluate(FITS_JS)
    assert scroll_width <= inner_width, f"{page.url}: {scroll_width} px wide in a {inner_width} px window"


@pytest.fixture
def people_at_event(apps: dict[str, Flask]) -> dict[str, int]:
    """Three seats: two confirmed, one held unconfirmed, two waiting, one cancelled by the person and
    one cancelled by the organiser a moment ago (still undoable)."""
    from services.events.models import db
    from services.events.operations import registrations
    from tests.events.factories import make_event, register

    app = apps["events"]
    event = make_event(app, capacity=3, mode="onsite", online_url="")
    ids = {"event": event.id}
    for (name, email, organisation), confirm in zip(PEOPLE, (True, True, False, True, True, True), strict=True):
        ids[name] = register(app, event.id, email, name=name, organisation=organisation, confirm=confirm).id
    with app.app_context(), db.transaction() as session:
        registrations.cancel_registration(session, ids["Eino Leino"])
        registrations.cancel_by_organiser(session, ids["Fanny Holm"])
    make_user(ORGANISER, "organizer")
    return ids


@pytest.fixture
def open_view(browser: Any, live_server: str) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def open_page(view: str) -> Any:
        width, height, scale = VIEWS[view]
        context = browser.new_context(base_url=live_server, locale="fi-FI", viewport={"width": width, "height": height},
                                      device_scale_factor=scale, is_mobile=view == "phone", has_touch=view == "phone")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        log_in_browser(page, "/events", ORGANISER)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_registration_list_fits_without_sideways_scrolling(
        view: str, open_view: Callable[[str], Any], people_at_event: dict[str, int],
        check_a11y: Callable[[Any], None]) -> None:
    page = open_view(view)
    for language in LANGUAGES:
        page.goto(f"/events/admin/events/{people_at_event['event']}?lang={language}")
        fits(page)
        check_a11y(page)
        for row in range(page.locator("table.registrations tbody tr").count()):
            box = page.locator("table.registrations tbody tr").nth(row).bounding_box()
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= page.evaluate("window.innerWidth") + 0.5, f"row {row} is cut off"
        page.goto(f"/events/admin/registrations/{people_at_event['Bo Berg']}/cancel?lang={language}")
        fits(page)
        check_a11y(page)


def test_at_the_door_search_check_in_cancel_and_undo_on_a_phone(
        apps: dict[str, Flask], open_view: Callable[[str], Any], people_at_event: dict[str, int],
        check_a11y: Callable[[Any], None]) -> None:
    from services.events.models import Registration, RegistrationStatus, db
    from shared.models import OutboxMessage

    maria = people_at_event["Maria-Kristiina Väänänen-Lindqvist"]
    page = open_view("phone")
    page.goto(f"/events/admin/events/{people_at_event['event']}?lang=fi")
    page.fill("#f-q", "väänänen")
    page.press("#f-q", "Enter")
    page.wait_for_url(re.compile(r".*q=v.*"))
    assert page.locator("#list-confirmed tbody tr").count() == 1
    row = page.locator(f"#r-{maria}")
    button = row.locator(".checkin-button")
    assert button.bounding_box()["height"] >= 44
    assert button.bounding_box()["width"] >= 44
    assert row.locator("button, a").first.get_attribute("class") == "checkin-button"  # check-in comes first

    button.tap()
    page.wait_for_url(re.compile(rf".*q=.*#r-{maria}$"))
    assert "on saapunut" in page.locator(".notice-success").inner_text()
    assert page.locator(f"#r-{maria} .checkin-button").get_attribute("aria-pressed") == "true"
    check_a11y(page)

    page.locator(f"#r-{maria} .cancel-link").tap()
    page.wait_for_url(re.compile(rf".*/registrations/{maria}/cancel.*"))
    fits(page)
    check_a11y(page)
    page.locator("button.button-danger").tap()
    page.wait_for_url(re.compile(r".*#undo$"))
    undo = page.locator("#undo")
    assert "Maria-Kristiina" in undo.inner_text()
    fits(page)
    check_a11y(page)
    with apps["events"].app_context(), db.transaction() as session:
        assert session.get_one(Registration, maria).status is RegistrationStatus.CANCELLED
    undo.locator(f"form[action$='/registrations/{maria}/undo-cancel'] button").tap()
    page.wait_for_url(re.compile(rf".*#r-{maria}$"))
    assert "Sähköpostia ei lähetetty" in page.locator(".notice-success").inner_text()
    with apps["events"].app_context(), db.transaction() as session:
        restored = session.get_one(Registration, maria)
        assert (restored.status, restored.checked_in) == (RegistrationStatus.CONFIRMED, True)
        templates = [m.payload["template"] for m in session.scalars(select(OutboxMessage))
                     if m.payload.get("recipient", {}).get("email") == restored.email]
    assert "registration-cancelled" not in templates
