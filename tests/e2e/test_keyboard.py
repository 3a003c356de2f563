"""Keyboard only: a person who cannot use a mouse registers for an event with Tab, typing, Space
and Enter. Every focused control shows a visible focus outline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

FOCUS_LIMIT = 80


def focused(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("""() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), id: el.id || "", type: el.type || "", name: el.name || "",
                inForm: !!el.closest("form[action*='#register']"),
                outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
    }"""))


def tab_to(page: Any, wanted: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    for _step in range(FOCUS_LIMIT):
        page.keyboard.press("Tab")
        element = focused(page)
        assert element["outline"], f"no visible focus on {element}"
        if wanted(element):
            return element
    pytest.fail(f"Tab never reached {what}")


def make_event(apps: dict[str, Flask]) -> str:
    from services.events.models import db
    from services.events.operations import events as operations
    from services.events.schemas import EventInput

    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    data = EventInput().load({
        "kind": "seminar", "title": {"fi": "ELO-vuosiseminaari 2027", "sv": "Årligt ELO-seminarium 2027"},
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=6)).isoformat(),
        "mode": "onsite", "address": "Oulun yliopisto, Pentti Kaiteran katu 1, Oulu", "capacity": 100,
        "languages": ["fi", "sv"]})
    with apps["events"].app_context(), db.transaction() as session:
        return operations.create_event(session, data).slug


def test_event_registration_with_the_keyboard_only(page: Any, apps: dict[str, Flask],
                                                   check_a11y: Callable[[Any], None]) -> None:
    from services.events.models import Registration, RegistrationStatus, db

    slug = make_event(apps)
    page.goto(f"/events/{slug}?lang=fi")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["tag"] == "a", "the first Tab stop is the skip link"
    assert skip["outline"]
    page.keyboard.press("Enter")

    for field_id, text in (("f-name", "Kaisa Keyboard"), ("f-email", "kaisa@example.fi"),
                           ("f-organisation", "Oulun kaupunki")):
        tab_to(page, lambda element, field_id=field_id: element["id"] == field_id, field_id)
        page.keyboard.type(text)
    tab_to(page, lambda element: element["type"] == "radio" and element["name"] == "sector", "the sector choice")
    page.keyboard.press("Space")  # the first sector: a required choice
    radio = tab_to(page, lambda element: (element["type"] == "radio" and element["name"] == "participation")
                   or element["id"] == "f-language", "the participation choice")
    if radio["type"] == "radio":
        page.keyboard.press("Space")
    tab_to(page, lambda element: element["tag"] == "button" and element["inForm"], "the Register button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    errors = page.locator(".field-error, .notice-error").all_inner_texts()
    assert not errors, errors
    page.locator("[role=status]:not(.status-region)").first.wait_for()
    check_a11y(page)

    with apps["events"].app_context(), db.transaction() as session:
        registration = session.scalar(select(Registration).where(Registration.email == "kaisa@example.fi"))
        assert registration is not None
        assert registration.status == RegistrationStatus.PENDING  # a seat held until the address is confirmed
        assert registration.name == "Kaisa Keyboard"
