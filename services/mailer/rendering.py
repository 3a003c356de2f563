"""Email rendering: one MJML layout, one folder per email, rendered once and personalised by substitution.

`render(...)` turns a template, a language and a context into a `RenderedEmail` whose subject, HTML
and text are split around per-recipient placeholders (`{{ personal.<key> }}`). `RenderedEmail.fill`
puts one recipient's values into those gaps: cheap, so a newsletter renders once per language and
content and costs only a substitution per recipient.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from mjml import mjml2html

from services.mailer.links import localise_links, localise_values
from shared.formatting import format_date, format_datetime, format_time, parse_moment

EMAIL_TEMPLATES = Path(__file__).parent / "templates" / "email"
PERSONAL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# The placeholder a `{{ personal.<key> }}` renders to; plain ASCII that no escaping or MJML changes.
MARKER = re.compile(r"%%ELO:([a-z][a-z0-9_]{0,63})%%")


class TemplateMissing(LookupError):
    """No such email template (or not in that language): a permanent error for the message."""


class Personal:
    """Stands for the recipient in a template: `personal.name` renders to a placeholder."""

    def __getattr__(self, key: str) -> Markup:
        if key.startswith("_") or not PERSONAL_KEY.match(key):
            raise AttributeError(key)
        return Markup(f"%%ELO:{key}%%")  # noqa: S704 - key matched PERSONAL_KEY: letters, digits, _

    def __getitem__(self, key: str) -> Markup:
        return self.__getattr__(key)


@dataclass(frozen=True)
class Segments:
    """Text split around placeholders: literals[0], keys[0], literals[1], …, literals[-1]."""

    literals: tuple[str, ...]
    keys: tuple[str, ...]

    @classmethod
    def split(cls, text: str) -> Segments:
        parts = MARKER.split(text)
        return cls(literals=tuple(parts[0::2]), keys=tuple(parts[1::2]))

    def fill(self, values: Mapping[str, str], *, escape: bool = False) -> str:
        if not self.keys:
            return self.literals[0]
        pieces = [self.literals[0]]
        for key, literal in zip(self.keys, self.literals[1:], strict=True):
            value = values.get(key) or ""
            pieces.append(html.escape(value, quote=True) if escape else value)
            pieces.append(literal)
        return "".join(pieces)


@dataclass(frozen=True)
class RenderedEmail:
    template: str
    language: str
    subject: Segments
    html: Segments
    text: Segments
    base_url: str = ""

    def personalise(self, values: Mapping[str, str]) -> dict[str, str]:
        """A recipient's values as they go in: links to our site carry the email's language."""
        return localise_values(values, self.base_url, self.language)

    @property
    def personal_keys(self) -> frozenset[str]:
        return frozenset(self.subject.keys + self.html.keys + self.text.keys)


@dataclass(frozen=True)
class Site:
    """What every email knows about the network (from the settings)."""

    network_name: str
    base_url: str
    postal_address: str
    # (language, value) pairs where sv or en differ from the fi name and address above.
    network_names: tuple[tuple[str, str], ...] = ()
    postal_addresses: tuple[tuple[str, str], ...] = ()

    def network_name_in(self, language: str) -> str:
        return dict(self.network_names).get(language) or self.network_name

    def postal_address_in(self, language: str) -> str:
        return dict(self.postal_addresses).get(language) or self.postal_address


def render(template: str, language: str, context: Mapping[str, Any], site: Site, *, list_mail: bool,
           strict: bool = False) -> RenderedEmail:
    """Render `template` in `language`; the same arguments give the same (cached) result."""
    content = {key: value for key, value in context.items() if key != "personal"}
    frozen = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return _render_cached(RenderKey(template, language, frozen, site, list_mail, strict))


@dataclass(frozen=True)
class RenderKey:
    template: str
    language: str
    frozen_context: str
    site: Site
    list_mail: bool
    strict: bool


@functools.lru_cache(maxsize=256)
def _render_cached(key: RenderKey) -> RenderedEmail:
    template, language, site = key.template, key.language, key.site
    folder = EMAIL_TEMPLATES / template
    if not template or not (folder / f"body.{language}.mjml").is_file():
        raise TemplateMissing(f"no email template {template!r} in language {language!r}")
    variables = {
        **json.loads(key.frozen_context),
        "network_name": site.network_name_in(language),
        "base_url": site.base_url,
        "postal_address": site.postal_address_in(language),
        "language": language,
        "list_mail": key.list_mail,
        "personal": Personal(),
    }
    html_env, text_env = _environments(key.strict)
    subject = " ".join(text_env.get_template(f"{template}/subject.{language}.txt").render(variables).split())
    mjml_source = html_env.get_template(f"{template}/body.{language}.mjml").render(variables)
    text = text_env.get_template(f"{template}/body.{language}.txt").render(variables)
    html_body = localise_links(mjml2html(mjml_source), site.base_url, language, escaped=True)
    text = localise_links(_tidy_text(text), site.base_url, language, escaped=False)
    return RenderedEmail(template=template, language=language, subject=Segments.split(subject),
                         html=Segments.split(html_body), text=Segments.split(text), base_url=site.base_url)


def _tidy_text(text: str) -> str:
    """No trailing spaces, at most one empty line in a row, one newline at the end."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"


@functools.cache
def _environments(strict: bool) -> tuple[Environment, Environment]:
    undefined = StrictUndefined if strict else Undefined
    loader = FileSystemLoader(str(EMAIL_TEMPLATES))
    html_env = Environment(loader=loader, autoescape=True, undefined=undefined, trim_blocks=True,
                           lstrip_blocks=True)
    text_env = Environment(loader=loader, autoescape=False, undefined=undefined, trim_blocks=True,  # noqa: S701 - plain text, never HTML
                           lstrip_blocks=True, keep_trailing_newline=True)
    for env in (html_env, text_env):
        env.filters["local_datetime"] = local_datetime
        env.filters["local_date"] = local_date
        env.filters["local_time"] = local_time
    text_env.filters["html_text"] = html_text
    return html_env, text_env


def html_text(markup: str) -> str:
    """Sanitised article HTML as plain text: paragraphs apart, every list item on its own line
    (`- item`, `1. item`, nested ones indented), links written out after their text."""
    parser = _PlainText()
    parser.feed(str(markup))
    parser.close()
    return parser.text()


class _PlainText(HTMLParser):
    BLOCKS = frozenset({"p", "h2", "h3", "h4", "blockquote", "pre", "ul", "ol", "div"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[int | None] = []  # per open list: the next number (ol) or None (ul)
        self.links: list[tuple[str, int]] = []  # per open link: its href and where its text starts
        self.in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS and not (tag in ("ul", "ol") and self.lists):
            self._break()
        if tag in ("ul", "ol"):
            start = dict(attrs).get("start") or "1"
            self.lists.append((int(start) if start.isdigit() else 1) if tag == "ol" else None)
        elif tag == "li":
            self._item()
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self._paragraph()
            self.parts.append("----\n\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        self.in_pre = self.in_pre or tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if not self.lists:
                self._paragraph()
        elif tag in self.BLOCKS:
            self._break()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.parts[start:]).strip()
            if href and href.removeprefix("mailto:") != shown:
                self.parts.append(f" ({href.removeprefix('mailto:')})")
        self.in_pre = self.in_pre and tag != "pre"

    def handle_data(self, data: str) -> None:
        if self.in_pre:
            self.parts.append(data)
            return
        text = re.sub(r"\s+", " ", data)
        if self._at_line_start():
            text = text.lstrip()
        self.parts.append(text)

    def _item(self) -> None:
        self._line()
        depth = max(len(self.lists) - 1, 0)
        number = self.lists[-1] if self.lists else None
        if number is not None:
            self.lists[-1] = number + 1
        self.parts.append("  " * depth + (f"{number}. " if number is not None else "- "))

    def _at_line_start(self) -> bool:
        joined = "".join(self.parts[-3:])
        return not joined or joined.endswith(("\n", "- ", ". "))

    def _line(self) -> None:
        if self.parts and not "".join(self.parts[-2:]).endswith("\n"):
            self.parts.append("\n")

    def _break(self) -> None:
        """A block's edge: a new paragraph, or inside a list only a new line (never right after `- `)."""
        if not self.lists:
            self._paragraph()
        elif not "".join(self.parts[-1:]).endswith(("- ", ". ")):
            self._line()

    def _paragraph(self) -> None:
        if self.parts:
            self._line()
            self.parts.append("\n")

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self.parts).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _moment(value: Any) -> dt.datetime | None:
    return parse_moment(value) if isinstance(value, (str, dt.datetime)) else None


@pass_context
def local_datetime(context: Context, value: Any) -> str:
    """ISO-8601 time → Europe/Helsinki in the email's language: `22.11.2026 klo 9.00`."""
    moment = _moment(value)
    return format_datetime(moment, context.get("language", "fi")) if moment else str(value or "")


@pass_context
def local_date(context: Context, value: Any) -> str:
    """ISO-8601 time or date → the day in Europe/Helsinki: `22.11.2026`, `22 November 2026`."""
    day: dt.date | None = _moment(value)
    if day is None and isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(day, context.get("language", "fi")) if day else str(value or "")


def local_time(value: Any) -> str:
    moment = _moment(value)
    return format_time(moment) if moment else str(value or "")


def template_names() -> list[str]:
    """Every email template folder (for the test that renders them all)."""
    return sorted({path.parent.name for path in EMAIL_TEMPLATES.glob("*/body.*.mjml")})


def load_example(template: str) -> dict[str, Any]:
    path = EMAIL_TEMPLATES / template / "example.json"
    example: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return example
