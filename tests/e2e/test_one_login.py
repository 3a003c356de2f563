"""One login for the whole workspace in a real Chromium, at a desktop (1280 px) and a phone (390 px) width,
axe-clean: log in once at the events workspace, move to the newsletter by the shared menu, log out there
and find every workspace closed; an organizer sees only the events menu and their own heading."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.e2e.helpers import WIDTHS, check_page, log_in_browser, make_user


@pytest.mark.parametrize("width", WIDTHS)
def test_a_coordinator_logs_in_once_for_every_service(page: Any, apps: dict[str, Flask],
                                                      check_a11y: Callable[[Any], None], width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    coordinator = make_user("koordinaattori@ely.example.fi", "coordinator")
    page.goto("/newsletter/admin/articles?lang=fi")
    assert "/newsletter/admin/login" in page.url
    check_page(page, check_a11y)
    log_in_browser(page, "/events", coordinator)
    page.goto("/events/admin/?lang=fi")
    assert page.locator(".admin-title").inner_text() == "Koordinaattorin työtila"
    check_page(page, check_a11y)

    menu = page.get_by_role("navigation", name="Työtila")
    menu.get_by_role("link", name="Jutut").click()  # to the newsletter service: no second login
    page.wait_for_url(re.compile(r".*/newsletter/admin/articles$"))
    assert page.locator(".admin-title").inner_text() == "Koordinaattorin työtila"
    assert menu.locator("[aria-current=page]").inner_text() == "Jutut"
    check_page(page, check_a11y)

    page.get_by_role("button", name="Kirjaudu ulos").click()
    page.wait_for_url(re.compile(r".*/newsletter/admin/login.*"))
    for workspace in ("/events/admin/", "/newsletter/admin/", "/mailer/admin/"):
        page.goto(workspace)
        assert "/admin/login" in page.url, workspace


@pytest.mark.parametrize("width", WIDTHS)
def test_an_organizer_has_an_events_menu_only(page: Any, apps: dict[str, Flask],
                                              check_a11y: Callable[[Any], None], width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organizer = make_user("jarjestaja@ely.example.fi", "organizer")
    page.goto("/newsletter/admin/login?lang=sv")
    page.fill("#f-email", organizer)
    page.fill("#f-password", "correct horse battery")
    page.locator("form.narrow-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/events/admin/$"))  # the organizer's own workspace
    assert page.locator(".admin-title").inner_text() == "Arrangörens arbetsyta"
    links = page.get_by_role("navigation", name="Arbetsyta").get_by_role("link")
    assert links.evaluate_all("(links) => links.map((a) => a.getAttribute('href'))") == [
        "/events/admin/", "/events/admin/events/new"]
    check_page(page, check_a11y)
    response = page.goto("/newsletter/admin/")
    assert response is not None
    assert response.status == 403
