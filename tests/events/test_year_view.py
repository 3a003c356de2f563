"""The year calendar (vuosikello) is a twelve-month view: every month a heading and a list of its
events, an empty month one short line; it is the same list in every language."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.events.factories import make_event

EMPTY = {"fi": "Ei tapahtumia", "sv": "Inga evenemang", "en": "No events"}
MONTHS = {"fi": ("Tammikuu", "Joulukuu"), "sv": ("Januari", "December"), "en": ("January", "December")}


def months_of(html: str) -> list[str]:
    """Each month's section, in order."""
    grid = html.split('<div class="year-grid">', 1)[1]
    return re.findall(r'<section class="year-month[^"]*"[^>]*>(.*?)</section>', grid, re.S)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_twelve_months_each_with_a_heading_and_a_list_or_a_short_line(client: Any, events_app: Any,
                                                                     language: str) -> None:
    make_event(events_app, slug="kevatseminaari", starts_at="2027-03-10T09:00:00", ends_at="2027-03-10T15:00:00")
    make_event(events_app, slug="verkostotapaaminen", starts_at="2027-03-24T13:00:00", ends_at="2027-03-24T15:00:00")
    make_event(events_app, slug="syyskoulutus", starts_at="2027-09-02T09:00:00", ends_at="2027-09-02T12:00:00")
    response = client.get(f"/events/year/2027?lang={language}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    months = months_of(html)
    assert len(months) == 12
    first, last = MONTHS[language]
    assert f">{first}</h2>" in months[0]
    assert f">{last}</h2>" in months[11]
    march, september = months[2], months[8]
    assert march.count("<li>") == 2
    assert march.index("kevatseminaari") < march.index("verkostotapaaminen")
    assert september.count("<li>") == 1
    assert "syyskoulutus" in september
    empty = [month for month in months if "<li>" not in month]
    assert len(empty) == 10
    assert all(f'<p class="year-none">{EMPTY[language]}</p>' in month for month in empty)
    assert EMPTY[language] not in march


def test_the_event_line_has_its_day_and_kind(client: Any, events_app: Any) -> None:
    make_event(events_app, slug="marraskuun-koulutus", kind="training",
               starts_at="2027-11-22T09:00:00", ends_at="2027-11-22T12:00:00")
    november = months_of(client.get("/events/year/2027?lang=fi").get_data(as_text=True))[10]
    assert 'href="/events/marraskuun-koulutus"' in november
    assert "22.11.2027" in november
    assert "Koulutus" in november


def test_the_grid_has_a_print_stylesheet_for_one_a4_page(client: Any) -> None:
    css = client.get("/events/static/elo.css").get_data(as_text=True)
    print_rules = css.split("@media print", 1)[1]
    assert "size: A4 portrait" in print_rules
    assert ".year-grid" in print_rules
    assert client.get("/events/year/1999").status_code == 404
