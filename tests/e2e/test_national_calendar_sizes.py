"""The national calendar (`/events/` with several networks) at a desktop, a phone and 200 % zoom, in fi,
sv and en: axe-core finds nothing, nothing scrolls sideways, and each event names its network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from shared.networks import Network, using_network
from tests.e2e.helpers import page_failures
from tests.e2e.test_accessibility import load_demo
from tests.e2e.test_accessibility_sizes import SIZES, sized  # noqa: F401 (a fixture)
from tests.events.factories import make_event
from tests.networks.conftest import network_b  # noqa: F401 (a fixture)

NAMES = {"fi": ("kaikissa verkostoissa", "Lapin ELO-verkosto"),
         "sv": ("alla nätverk", "ELO-nätverket i Lappland"),
         "en": ("all networks", "Lapin ELO-verkosto")}


def test_the_national_calendar_at_three_sizes_in_three_languages(
        apps: dict[str, Flask], network_b: Network, sized: Callable[..., Any],  # noqa: F811
        check_a11y: Callable[[Any], None]) -> None:
    load_demo(apps)
    with using_network(network_b):
        make_event(apps["events"], title={"fi": "Ohjauksen kevätpäivä Rovaniemellä",
                                          "sv": "Vägledningens vårdag i Rovaniemi",
                                          "en": "Guidance spring day in Rovaniemi"})
    failures: list[str] = []
    for size in SIZES:
        page = sized(size, None)
        for language, (heading, network_name) in NAMES.items():
            response = page.goto(f"/events/?lang={language}")
            assert response is not None
            assert response.status == 200
            text = page.locator("main").inner_text()
            assert heading.lower() in text.lower(), f"{language}: not the national calendar"
            assert network_name in text, f"{language}: the organising network is not named"
            failures += page_failures(page, f"{size} {language}", check_a11y)
    assert not failures, "\n\n".join(failures)
