"""What the readers of each language get from an issue: their own version, or another one (never silently).

Works on the composer's values, so a draft not yet saved shows it too: `main` is the main version
(`language`, `title`, `article_ids`), `translations` the other languages' (`title`, `article_ids`; a
version without a title is not sent, and empty `article_ids` mean the main version's articles).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.subscriptions.newsletter.operations import articles as article_cases
from shared.settings import LANGUAGES


@dataclass(frozen=True)
class ArticleLine:
    title: str
    language: str


@dataclass(frozen=True)
class ReaderVersion:
    """The version the subscribers who chose `language` get."""

    language: str
    served: str  # the language of the version they get
    title: str
    articles: tuple[ArticleLine, ...]

    @property
    def own(self) -> bool:
        return self.served == self.language

    @property
    def foreign_articles(self) -> tuple[ArticleLine, ...]:
        return tuple(article for article in self.articles if article.language != self.language)


def version_articles(main: Mapping[str, Any], text: Mapping[str, Any]) -> list[int]:
    """A language version's articles: its own choice, else the main version's."""
    return list(text.get("article_ids") or main["article_ids"])


def reader_versions(session: Session, main: Mapping[str, Any], translations: Mapping[str, Mapping[str, Any]],
                    primary_language: str) -> list[ReaderVersion]:
    """For fi, sv and en in turn: the version its subscribers get (as `content.version_for` picks it)."""
    own = {language: text for language, text in translations.items() if (text.get("title") or "").strip()}
    chosen = {main["language"]: list(main["article_ids"]),
              **{language: version_articles(main, text) for language, text in own.items()}}
    titles = {main["language"]: main["title"], **{language: text["title"] for language, text in own.items()}}
    found = {article.id: article for article in
             article_cases.articles_by_ids(session, sorted({n for ids in chosen.values() for n in ids}))}
    versions = []
    for language in LANGUAGES:
        served = next(option for option in (language, primary_language, main["language"]) if option in titles)
        lines = tuple(ArticleLine(found[n].title, found[n].language) for n in chosen[served] if n in found)
        versions.append(ReaderVersion(language, served, titles[served], lines))
    return versions

