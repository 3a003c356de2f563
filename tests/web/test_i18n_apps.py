"""Each app translates with its own catalogues, whichever app translated first in the process."""

from __future__ import annotations

from flask import Flask
from werkzeug.test import Client


def test_each_app_uses_its_own_catalogues(apps: dict[str, Flask], client: Client) -> None:
    finnish = {"Accept-Language": "fi"}
    # The events workspace translates first; the newsletter workspace must still find its own strings.
    assert "Kirjaudu sisään" in client.get("/events/admin/login", headers=finnish).get_data(as_text=True)
    from tests.web.conftest import log_in, make_user

    make_user()
    assert log_in(client, "/newsletter", "koordinaattori@example.fi").status_code == 302
    page = client.get("/newsletter/admin/", headers=finnish).get_data(as_text=True)
    assert "Uutiskirjeen työtila" in page
    assert "vahvistettua tilaajaa" in page
