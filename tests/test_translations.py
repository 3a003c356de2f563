"""Every user-visible string has a Finnish and a Swedish translation (English is the msgid),
and every email exists in fi, sv and en.

Strings are extracted with Babel's extractors from each translation catalogue's sources: Python
(`_`, `gettext`, `lazy_gettext`, `ngettext`, …) and Jinja templates (`{{ _("…") }}`, `{% trans %}`).
A string counts as translated when the owner's catalogue or the shared one (which every app loads
too) has a non-empty msgstr for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "trimmed": "false"}
TRANSLATED = ("fi", "sv")
EMAIL_FILES = ("subject.{}.txt", "body.{}.mjml", "body.{}.txt")

# Every app loads the shared catalogue and every catalogue under its own directory (an app of a service
# with parts, like subscriptions, loads each part's), so a string counts as translated when one of
# those has it. The owners are found on disk, so the check follows packages as they move.
def owners() -> dict[str, list[Path]]:
    """owner directory → its catalogues: shared, and each package directly under services/."""
    found = {"shared": [SHARED]}
    for directory in sorted((ROOT / "services").iterdir()):
        if (directory / "__init__.py").is_file():
            found[directory.relative_to(ROOT).as_posix()] = [
                *sorted(path for path in directory.rglob("translations") if path.is_dir()), SHARED]
    return found


def sources(owner: str) -> Iterator[Path]:
    directory = ROOT / owner
    for path in sorted([*directory.rglob("*.py"), *directory.glob("templates/**/*.html")]):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" not in relative and "__pycache__" not in relative:
            yield path


def msgids(path: Path) -> Iterator[tuple[str, int]]:
    method = babel_extract if path.suffix == ".html" else "python"
    options = JINJA_OPTIONS if path.suffix == ".html" else {}
    with path.open("rb") as source:
        for line, message, _comments, _context in extract(method, source, keywords=KEYWORDS, options=options):
            text = message[0] if isinstance(message, tuple) else message
            if text:
                yield text, line


def catalogue(directory: Path, language: str) -> Catalog:
    path = directory / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Catalog(locale=language)
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


def translated(catalogues: list[Catalog], msgid: str) -> bool:
    for entry_catalogue in catalogues:
        message = entry_catalogue.get(msgid)
        if message is not None and message.string and not message.fuzzy:
            return True
    return False


@pytest.mark.parametrize("owner", sorted(owners()))
def test_every_string_has_a_finnish_and_swedish_translation(owner: str) -> None:
    directories = owners()[owner]
    missing: list[str] = []
    for language in TRANSLATED:
        catalogues = [catalogue(directory, language) for directory in directories]
        for path in sources(owner):
            for text, line in msgids(path):
                if not translated(catalogues, text):
                    missing.append(f"{language}: {path.relative_to(ROOT)}:{line}: {text!r}")
    home = directories[0].relative_to(ROOT).as_posix()
    assert not missing, (f"{len(missing)} strings lack a translation in {owner} "
                         f"(add them with `python -m tools.po {home} \"msgid\" fi=… sv=…`):\n" + "\n".join(missing))


def test_every_service_has_a_catalogue() -> None:
    expected = {"shared", "services/landing", "services/subscriptions", "services/events", "services/mailer"}
    assert expected <= set(owners())
    assert all(len(directories) >= 2 for owner, directories in owners().items() if owner != "shared")


def test_the_check_finds_an_untranslated_string(tmp_path: Path) -> None:
    """The extractor sees template and Python strings, so a forgotten translation cannot hide."""
    template = tmp_path / "page.html"
    template.write_text('<h1>{{ _("A brand new heading") }}</h1>{% trans %}Plain words{% endtrans %}')
    module = tmp_path / "view.py"
    module.write_text('from flask_babel import lazy_gettext\nLABEL = lazy_gettext("A lazy label")\n')
    found = {text for path in (template, module) for text, _line in msgids(path)}
    assert found == {"A brand new heading", "Plain words", "A lazy label"}
    assert not translated([catalogue(SHARED, "fi")], "A brand new heading")
    assert translated([catalogue(SHARED, "fi")], "Skip to content")


def email_folders() -> list[Path]:
    return sorted(path for path in (ROOT / "services" / "mailer" / "templates" / "email").iterdir() if path.is_dir())


def test_every_email_exists_in_finnish_swedish_and_english() -> None:
    folders = email_folders()
    assert folders, "no email templates found"
    missing = [f"{folder.name}/{name.format(language)}" for folder in folders for language in ("fi", "sv", "en")
               for name in EMAIL_FILES
               if not (folder / name.format(language)).is_file()
               or not (folder / name.format(language)).read_text(encoding="utf-8").strip()]
    assert not missing, "emails missing a language version:\n" + "\n".join(missing)
