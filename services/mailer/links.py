"""Every link to our own site in an email carries the email's language (`?lang=sv`).

The pages honour `lang` over the browser's Accept-Language (`shared.i18n`), so a Swedish reader
opens every page in Swedish, whatever the language of the browser or the computer. Done here, once,
on the rendered email and on each recipient's personal values, so no template or service can forget it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

TRAILING_PUNCTUATION = ".,;:!?)]'"


def with_language(url: str, language: str) -> str:
    """`url` with `lang=<language>` in its query, unless it names a language already."""
    parts = urlsplit(url)
    if any(key == "lang" for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    query = f"{parts.query}&lang={language}" if parts.query else f"lang={language}"
    return urlunsplit(parts._replace(query=query))


@lru_cache(maxsize=32)
def _own_links(base_url: str) -> re.Pattern[str]:
    """Absolute links to the site at `base_url` (the base itself, or a path, query or fragment after it),
    standing alone: not inside another address."""
    return re.compile(r"(?<![^\s\"'<>(\[])" + re.escape(base_url.rstrip("/")) + r"(?=[/?#\s\"'<>]|$)[^\s\"'<>]*")


def localise_links(text: str, base_url: str, language: str, *, escaped: bool) -> str:
    """Every link to `base_url` in `text` with the language; `escaped`: `text` is HTML (`&amp;`)."""
    if not base_url:
        return text

    def localise(match: re.Match[str]) -> str:
        found = match.group(0)
        url = found.rstrip(TRAILING_PUNCTUATION)
        tail = found[len(url):]
        if not escaped:
            return with_language(url, language) + tail
        return html.escape(with_language(html.unescape(url), language), quote=False) + tail

    return _own_links(base_url).sub(localise, text)


def localise_values(values: Mapping[str, str], base_url: str, language: str) -> dict[str, str]:
    """A recipient's personal values with the language on the ones that are links to our site."""
    own = _own_links(base_url) if base_url else None
    return {key: with_language(value, language) if own and own.fullmatch(value) else value
            for key, value in values.items()}
