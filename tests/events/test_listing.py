"""Listing: the year calendar counts years as Helsinki does; lists name kinds and themes with the shared labels."""

from __future__ import annotations

from services.events.models import db
from services.events.operations import listing
from tests.events.factories import make_event


def test_an_event_late_on_new_years_eve_belongs_to_its_helsinki_year(client, events_app):
    # Naive times are read in Europe/Helsinki: 23:30 on 31 December is 21:30 UTC, already past a
    # fixed "UTC minus three hours" year end.
    make_event(events_app, slug="uudenvuodenaatto", starts_at="2027-12-31T23:30:00", ends_at="2028-01-01T01:00:00")
    make_event(events_app, slug="uudenvuodenpaiva", starts_at="2028-01-01T00:30:00", ends_at="2028-01-01T02:00:00")
    make_event(events_app, slug="juhannus", starts_at="2027-06-25T23:30:00", ends_at="2027-06-26T01:00:00")
    with events_app.app_context(), db.transaction() as session:
        assert [e.slug for e in listing.events_in_year(session, 2027)] == ["juhannus", "uudenvuodenaatto"]
        assert [e.slug for e in listing.events_in_year(session, 2028)] == ["uudenvuodenpaiva"]
    year = client.get("/events/year/2027?lang=fi").get_data(as_text=True)
    december = year[year.index("Joulukuu"):]
    assert "uudenvuodenaatto" in december
    assert "uudenvuodenpaiva" not in year
    assert "juhannus" in year[year.index("Kesäkuu"):year.index("Heinäkuu")]


def test_kinds_and_themes_are_named_with_the_shared_labels(client, events_app):
    event = make_event(events_app, kind="seminar", themes=["knowledge"])
    for language, kind, theme in (("fi", "Vuosiseminaari", "Tietoon perustuen"),
                                  ("sv", "Årligt seminarium", "Kunskapsbaserat"),
                                  ("en", "Annual seminar", "Knowledge-based")):
        listing_page = client.get(f"/events/?lang={language}").get_data(as_text=True)
        event_page = client.get(f"/events/{event.slug}?lang={language}").get_data(as_text=True)
        for page in (listing_page, event_page):
            assert kind in page
            assert theme in page
