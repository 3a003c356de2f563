"""Plain language: Finnish selkokieli and Swedish lättläst versions of a few public pages.

A reader asks for one with `?plain=1` (the link "Selkokielellä" / "Lättläst" on the standard page).
The flag travels in the address, not in a cookie, so the language switch and the forms (whose action
keeps `?plain=1`) stay plain while the standard page is one click away. Each plain page is written by
hand per language (`plain/<page>.<language>.html` under the app's templates); in English there is no
plain version, so the standard page answers.
"""

from __future__ import annotations

from flask import request

from shared.web import current_language

PLAIN_LANGUAGES = ("fi", "sv")


def plain_requested() -> bool:
    return request.args.get("plain") == "1" and current_language() in PLAIN_LANGUAGES


def page_template(standard: str, plain_page: str) -> str:
    """The plain template of `plain_page` when the reader asked for plain language, else `standard`."""
    return f"plain/{plain_page}.{current_language()}.html" if plain_requested() else standard
