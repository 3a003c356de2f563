"""The landing page at `/` and the pages every footer links to: contact, accessibility statement and
privacy notice. Their text is long and legal, so each language has its own template
(`legal/<page>.<language>.html`) instead of gettext strings."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, render_template

from shared.formatting import format_date
from shared.settings import Settings
from shared.web import current_language

# When the accessibility statement was prepared and last reviewed (update both with the statement).
STATEMENT_PREPARED = dt.date(2026, 12, 2)
STATEMENT_REVIEWED = dt.date(2026, 12, 2)
LEGAL_PAGES = ("contact", "accessibility", "privacy")


def register(app: Flask) -> None:
    app.add_url_rule("/", "index", index)
    for name in LEGAL_PAGES:
        app.add_url_rule(f"/{name}", name, lambda name=name: legal_page(name))


def index() -> str:
    return render_template("landing.html")


def legal_page(name: str) -> str:
    settings: Settings = current_app.config["ELO_SETTINGS"]
    language = current_language()
    return render_template(f"legal/{name}.{language}.html", settings=settings,
                           prepared=format_date(STATEMENT_PREPARED, language),
                           reviewed=format_date(STATEMENT_REVIEWED, language))
