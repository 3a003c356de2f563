"""The page skeleton every app shares: one date format for pages, in the page's language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import render_template_string

from shared.web import create_page_app
from shared.web_auth import admin_blueprint, init_admin

NINE_IN_HELSINKI = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(tmp_path: Path):
    app = create_page_app("tests.shared.test_web", tmp_path, {"SECRET_KEY": "k" * 32, "PRIMARY_LANGUAGE": "fi",
                                                               "NETWORK_NAME": "ELO"})
    init_admin(app, admin_blueprint("workspace", __name__, roles=("editor",), home_endpoint="login"))
    return app


@pytest.mark.parametrize(("language", "expected"), [
    ("fi", "22.11.2026 klo 9.00"),
    ("sv", "22.11.2026 kl. 9.00"),
    ("en", "22 November 2026 at 9.00"),
])
def test_pages_show_a_stored_time_in_helsinki_in_the_pages_language(app, language, expected):
    with app.test_request_context(f"/?lang={language}"):
        shown = render_template_string("{{ when|local_datetime }}|{{ when|helsinki }}|{{ when|local_date }}",
                                       when=NINE_IN_HELSINKI)
    day = "22 November 2026" if language == "en" else "22.11.2026"
    assert shown == f"{expected}|{expected}|{day}"


def test_a_missing_time_shows_as_nothing(app):
    with app.test_request_context("/"):
        assert render_template_string("[{{ none|local_datetime }}][{{ none|helsinki }}]", none=None) == "[][]"


def test_an_event_zone_can_be_asked_for(app):
    with app.test_request_context("/?lang=fi"):
        assert render_template_string("{{ when|local_datetime('Europe/Stockholm') }}",
                                      when=NINE_IN_HELSINKI) == "22.11.2026 klo 8.00"
