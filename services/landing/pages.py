"""The landing page at `/` and the pages every footer links to: contact, accessibility statement and
privacy notice. Their text is long and legal, so each language has its own template
(`legal/<page>.<language>.html`) instead of gettext strings."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, render_template

from shared.formatting import format_date
from shared.plain_language import page_template
from shared.settings import Settings
from shared.web import current_language

# When the accessibility statement was prepared and last reviewed (update both with the statement).
STATEMENT_PREPARED = dt.date(2026, 12, 2)
STATEMENT_REVIEWED = dt.date(2026, 12, 2)
LEGAL_PAGES = ("contact", "accessibility", "privacy")
PLAIN_LEGAL_PAGES = ("privacy",)  # the legal pages with a plain-language version


def register(app: Flask) -> None:
    app.add_url_rule("/", "index", index)
    for name in LEGAL_PAGES:
        app.add_url_rule(f"/{name}", name, lambda name=name: legal_page(name))


def index() -> str:
    return render_template(page_template("landing.html", "landing"))


def legal_page(name: str) -> str:
    settings: Settings = current_app.config["ELO_SETTINGS"]
    language = current_language()
    standard = f"legal/{name}.{language}.html"
    template = page_template(standard, name) if name in PLAIN_LEGAL_PAGES else standard
    return render_template(template, settings=settings,
                           prepared=format_date(STATEMENT_PREPARED, language),
                           reviewed=format_date(STATEMENT_REVIEWED, language))
