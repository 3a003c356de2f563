"""Languages: fi, sv, en. The user's explicit choice (`?lang=`, then the `elo_lang` cookie),
then Accept-Language, then the primary language.

Translations are gettext catalogues: `shared/translations` for the shared templates and
`services/<name>/translations` for each service. The `.po` files are the source; the `.mo`
files are compiled from them when missing or older, at app start.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, request
from flask_babel import Babel, Domain

from shared.settings import LANGUAGES

LANGUAGE_COOKIE = "elo_lang"
LANGUAGE_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
SHARED_TRANSLATIONS = Path(__file__).parent / "translations"



class AppDomain(Domain):  # type: ignore[misc]
    """flask-babel keeps merged catalogues in one cache per Babel object; with one `babel` for every
    app in a process (the embedded run, the tests) the first app to translate would decide the
    strings of all. Each app gets its own cache here, built from its own translation directories."""

    def get_translations_cache(self, ctx: Any) -> dict[Any, Any]:
        cache: dict[Any, Any] = current_app.extensions.setdefault("elo_translations_cache", {})
        return cache


class AppBabel(Babel):  # type: ignore[misc]
    @cached_property
    def domain_instance(self) -> Domain:
        return AppDomain(domain=self.domain)


babel = AppBabel()


def explicit_language() -> str | None:
    chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else None


def select_locale() -> str:
    explicit = explicit_language()
    if explicit:
        return explicit
    best = request.accept_languages.best_match(LANGUAGES)
    return best or str(current_app.config.get("PRIMARY_LANGUAGE", "fi"))


def remember_choice(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    return response


def compile_catalogues(directories: Iterable[Path]) -> None:
    """Write each `.mo` next to its `.po` when it is missing or older."""
    for directory in directories:
        for po_path in directory.glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalogue = read_po(po_file, locale=po_path.parent.parent.name)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalogue)


def init_i18n(app: Flask, service_translations: Iterable[Path] = ()) -> None:
    directories = [SHARED_TRANSLATIONS, *service_translations]
    compile_catalogues(directories)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(d) for d in directories)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config.get("PRIMARY_LANGUAGE", "fi"))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Helsinki")
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(remember_choice)
