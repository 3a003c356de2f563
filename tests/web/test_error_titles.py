"""A page that shows a refused form says so first in its title, once, in the page's language, and
loads the script that moves the focus to the error summary; a page without errors does neither."""

from __future__ import annotations

import re

import pytest
from werkzeug.test import Client

from tests.web.conftest import csrf_from

WORD = {"fi": "Virhe:", "sv": "Fel:", "en": "Error:"}


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_refused_subscription_says_error_first(client: Client, language: str) -> None:
    clean = client.get(f"/newsletter/?lang={language}").get_data(as_text=True)
    assert "form-errors.js" not in clean
    refused = client.post(f"/newsletter/?lang={language}", data={"email": "not an address"})
    html = refused.get_data(as_text=True)
    assert refused.status_code in (200, 422)
    assert title_of(html) == f"{WORD[language]} {title_of(clean)}"
    assert 'id="error-summary"' in html
    assert 'src="/newsletter/static/form-errors.js"' in html


def test_a_refused_login_says_error_once(client: Client) -> None:
    page = client.get("/events/admin/login?lang=fi")
    refused = client.post("/events/admin/login?lang=fi", data={"email": "x@example.fi", "password": "wrong password",
                                                               "csrf_token": csrf_from(page)})
    html = refused.get_data(as_text=True)
    assert 'id="error-summary"' in html
    assert title_of(html).startswith("Virhe: ")
    assert title_of(html).count("Virhe:") == 1


def test_the_script_exists_and_focuses_the_summary(client: Client) -> None:
    script = client.get("/newsletter/static/form-errors.js").get_data(as_text=True)
    assert 'getElementById("error-summary")' in script
    assert ".focus()" in script
