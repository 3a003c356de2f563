"""Article text: Markdown rendered with markdown-it-py and sanitised with nh3, and theme labels."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

from shared.labels import THEME_LABELS

# Plain text formatting only: headings from h2 down (the issue has the h1), lists, links, emphasis, quotes.
ALLOWED_TAGS = {"p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote",
                "code", "pre", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"https", "http", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> str:
    """Safe HTML from an author's Markdown: no raw HTML, no scripts or event handlers, links rel=noopener."""
    html = _markdown.render(text)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", strip_comments=True)


def theme_labels(themes: list[str], language: str) -> list[str]:
    return [THEME_LABELS[theme][language] for theme in themes if theme in THEME_LABELS]
