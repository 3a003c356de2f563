"""Demo content of the mailer (`elo seed-demo`)."""

from __future__ import annotations

from flask import Flask
from werkzeug.test import Client

from services.mailer.models import db


def test_demo_seed_shows_a_message_in_the_test_mailbox(apps: dict[str, Flask], client: Client) -> None:
    from services.mailer import demo

    with apps["mailer"].app_context(), db.transaction() as session:
        demo.seed(session)
    listing = client.get("/mailer/outbox/?lang=fi")
    assert "Testiviesti" in listing.text
    assert "koordinaattori@elo-verkosto.example" in listing.text
