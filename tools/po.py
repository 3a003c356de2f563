"""Add or update translations in a `.po` catalogue from the command line or Python.

    python -m tools.po shared/translations "Skip to content" fi="Siirry sisältöön" sv="Hoppa till innehållet"

The msgid is the English text; the English catalogue holds it unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LANGUAGES = ("fi", "sv", "en")


def catalogue_path(directory: Path, language: str) -> Path:
    return directory / language / "LC_MESSAGES" / "messages.po"


def load(directory: Path, language: str) -> Catalog:
    path = catalogue_path(directory, language)
    if not path.exists():
        return Catalog(locale=language, project="elo-network", charset="utf-8")
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


def save(directory: Path, language: str, catalogue: Catalog) -> None:
    path = catalogue_path(directory, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.fuzzy = False
    with path.open("wb") as po_file:
        write_po(po_file, catalogue, omit_header=False, sort_output=True, width=120)


def add(directory: Path, entries: dict[str, dict[str, str]]) -> None:
    """entries: {msgid: {"fi": ..., "sv": ...}}; English is the msgid itself."""
    for language in LANGUAGES:
        catalogue = load(directory, language)
        for msgid, translations in entries.items():
            text = msgid if language == "en" else translations[language]
            catalogue.add(msgid, text)
        save(directory, language, catalogue)


def main(argv: list[str]) -> None:
    directory, msgid, *pairs = argv
    translations = dict(pair.split("=", 1) for pair in pairs)
    add(Path(directory), {msgid: translations})


if __name__ == "__main__":
    main(sys.argv[1:])
