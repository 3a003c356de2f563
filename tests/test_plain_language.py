"""Plain language (selkokieli, lättläst): each plain page in Finnish and Swedish keeps its sentences short
(on average at most 10 words, none over 15) and, in Finnish, its words short (at most 20 letters), also
when a form comes back with errors. The standard pages link to the plain ones and back, English has no
plain version, and a plain form subscribes or registers exactly like the standard one.

The measured text is what a reader sees in the page's <main>: each heading, label, list item, paragraph
or button is its own line, and a line splits into sentences after . ! or ?. The header and footer are the
site's shared navigation, the same on every page, and are not measured here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from statistics import mean

import pytest
from flask import Flask
from werkzeug.test import Client

PLAIN_LANGUAGES = ("fi", "sv")
MAX_AVERAGE_WORDS = 10
MAX_SENTENCE_WORDS = 15
MAX_FINNISH_LETTERS = 20
SWITCH_TEXTS = {"fi": ("Selkokielellä", "Yleiskielellä"), "sv": ("Lättläst", "Standardspråk")}
BLOCKS = {"p", "h1", "h2", "h3", "li", "dt", "dd", "label", "legend", "button", "div", "section", "article",
          "form", "fieldset", "ul", "ol", "dl", "address", "br", "tr", "td", "th", "option", "time"}
BLOCKS -= {"time"}  # a time sits inside a sentence
HIDDEN_TAGS = {"script", "style", "template", "input", "textarea", "select"}
VOID_TAGS = {"br", "input", "img", "meta", "link", "hr", "source", "wbr"}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class VisibleText(HTMLParser):
    """The text of <main> as a reader sees it, one line per block; hidden parts (the honeypot, aria-hidden,
    `hidden`) left out."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = [""]
        self.in_main = False
        self.hidden_depth = 0  # > 0 inside a hidden element
        self.stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "main":
            self.in_main = True
        if tag in VOID_TAGS:
            self._break(tag)
            return
        hides = (tag in HIDDEN_TAGS or found.get("aria-hidden") == "true" or "hidden" in found
                 or "honeypot" in (found.get("class") or "").split())
        self.stack.append((tag, hides))
        self.hidden_depth += hides
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main = False
        while self.stack:
            opened, hides = self.stack.pop()
            self.hidden_depth -= hides
            if opened == tag:
                break
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.in_main and not self.hidden_depth:
            self.lines[-1] += data

    def _break(self, tag: str) -> None:
        if tag in BLOCKS and self.lines[-1].strip():
            self.lines.append("")

    def sentences(self) -> list[str]:
        found: list[str] = []
        for line in self.lines:
            found += [part for part in SENTENCE_END.split(" ".join(line.split())) if words(part)]
        return found


def words(sentence: str) -> list[str]:
    return [token for token in sentence.split() if any(character.isalnum() for character in token)]


def letter_runs(text: str) -> list[str]:
    """Words as letters only: a hyphen splits a compound the way selkokieli writes long ones."""
    return re.findall(r"[^\W\d_]+", text)


def sentences_of(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.sentences()


def measure_problems(html: str, language: str) -> list[str]:
    sentences = sentences_of(html)
    if not sentences:
        return ["no text in <main>"]
    problems = [f"{len(words(s))} words: {s!r}" for s in sentences if len(words(s)) > MAX_SENTENCE_WORDS]
    average = mean(len(words(s)) for s in sentences)
    if average > MAX_AVERAGE_WORDS:
        problems.append(f"average sentence {average:.1f} words")
    if language == "fi":
        problems += [f"long word {w!r}" for s in sentences for w in letter_runs(s) if len(w) > MAX_FINNISH_LETTERS]
    return problems


# --- the pages ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlainPages:
    """Addresses of the plain pages that need data: an open event and a subscriber's preference link."""

    event: str
    preferences: str

    def paths(self) -> dict[str, str]:
        return {"landing": "/", "privacy": "/privacy", "subscribe": "/newsletter/",
                "preferences": self.preferences, "event": self.event}


def make_plain_pages(apps: dict[str, Flask]) -> PlainPages:
    from services.subscriptions.models import db as subscriptions_db
    from services.subscriptions.subscribers.models import Subscriber
    from services.subscriptions.subscribers.operations import links
    from tests.events.factories import make_event
    from tests.subscriptions.conftest import make_subscriber

    event = make_event(apps["events"], title={"fi": "Ohjaajien kevättapaaminen", "sv": "Vägledarnas vårträff",
                                              "en": "Guidance counsellors' spring meeting"})
    with apps["subscriptions"].app_context():
        subscriber_id = make_subscriber("aino@example.fi")
        with subscriptions_db.transaction() as session:
            url = links.preferences_url(session.get_one(Subscriber, subscriber_id))
    return PlainPages(event=f"/events/{event.slug}", preferences="/newsletter" + url.split("/newsletter", 1)[1])


@pytest.fixture
def plain_pages(apps: dict[str, Flask]) -> PlainPages:
    return make_plain_pages(apps)


def plain(path: str, language: str) -> str:
    return f"{path}?plain=1&lang={language}"


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def text_of(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


# --- measures ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
@pytest.mark.parametrize("page", ["landing", "privacy", "subscribe", "preferences", "event"])
def test_each_plain_page_has_short_sentences_and_words(client: Client, plain_pages: PlainPages, page: str,
                                                       language: str) -> None:
    response = client.get(plain(plain_pages.paths()[page], language))
    assert response.status_code == 200
    html = text_of(response)
    assert f'<html lang="{language}">' in html
    assert SWITCH_TEXTS[language][1] in html, "the plain page links back to the standard one"
    assert measure_problems(html, language) == []


FORM_ERRORS: dict[str, tuple[str, dict[str, str]]] = {
    "subscribe": ("email", {"email": "not an address", "language": "fi"}),
    "preferences": ("topics", {"action": "save", "language": "fi"}),
    "event": ("email", {"name": "", "email": "nobody", "participation": ""}),
}


@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
@pytest.mark.parametrize("page", sorted(FORM_ERRORS))
def test_a_refused_plain_form_stays_plain_with_the_error_by_its_field(client: Client, plain_pages: PlainPages,
                                                                       page: str, language: str) -> None:
    field, form = FORM_ERRORS[page]
    response = client.post(plain(plain_pages.paths()[page], language), data=form)
    assert response.status_code == 422
    html = text_of(response)
    assert f'id="f-{field}-error"' in html
    assert SWITCH_TEXTS[language][1] in html, "the refused form is still the plain page"
    assert measure_problems(html, language) == []


# --- links and fallbacks -----------------------------------------------------------------------------

@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
@pytest.mark.parametrize("page", ["landing", "privacy", "subscribe", "preferences", "event"])
def test_the_standard_page_links_to_the_plain_one(client: Client, plain_pages: PlainPages, page: str,
                                                  language: str) -> None:
    path = plain_pages.paths()[page]
    html = text_of(client.get(f"{path}?lang={language}"))
    link = re.search(rf'<a href="([^"]+)">{SWITCH_TEXTS[language][0]}</a>', html)
    assert link, "the standard page has a visible link to plain language"
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith(path)
    assert "plain=1" in href
    back = re.search(rf'<a href="([^"]+)">{SWITCH_TEXTS[language][1]}</a>', text_of(client.get(href)))
    assert back, "the plain page links back"
    assert "plain=1" not in back.group(1)


def test_english_has_no_plain_version_so_the_standard_page_answers(client: Client) -> None:
    standard = text_of(client.get("/?lang=en"))
    asked_plain = text_of(client.get("/?plain=1&lang=en"))
    assert main_of(asked_plain) == main_of(standard)
    assert not any(text in standard for pair in SWITCH_TEXTS.values() for text in pair)


# --- the forms work like the standard ones -----------------------------------------------------------

def test_a_plain_subscription_is_a_subscription(client: Client, apps: dict[str, Flask]) -> None:
    from tests.subscriptions.conftest import emails_to

    response = client.post(plain("/newsletter/", "fi"),
                           data={"email": "selko@example.fi", "topics": ["newsletter", "events"], "language": "fi"})
    assert response.status_code == 303
    with apps["subscriptions"].app_context():
        sent = emails_to("selko@example.fi")
    assert len(sent) == 1
    assert sent[0]["language"] == "fi"


@pytest.mark.parametrize("language", PLAIN_LANGUAGES)
def test_a_plain_registration_is_a_registration(client: Client, plain_pages: PlainPages, apps: dict[str, Flask],
                                                language: str) -> None:
    from sqlalchemy import select

    from services.events.models import Registration, db

    response = client.post(plain(plain_pages.event, language),
                           data={"name": "Selma Selkonen", "email": "selma@example.fi", "participation": "onsite",
                                 "sector": "education",
                                 "language": language})
    assert response.status_code == 201
    with apps["events"].app_context(), db.transaction() as session:
        registration = session.scalars(select(Registration).where(Registration.email == "selma@example.fi")).one()
        assert registration.language == language


def test_the_measure_catches_long_sentences_and_words() -> None:
    long_sentence = "<main><p>" + " ".join(["sana"] * 16) + ".</p></main>"
    long_word = "<main><p>Saavutettavuusvaatimukset koskevat sivua.</p></main>"
    average = "<main><p>" + " ".join(["sana"] * 12) + ". " + " ".join(["sana"] * 11) + ".</p></main>"
    assert measure_problems(long_sentence, "sv")[0].startswith("16 words")
    assert measure_problems(long_word, "fi") == ["long word 'Saavutettavuusvaatimukset'"]
    assert measure_problems(long_word, "sv") == []
    assert measure_problems(average, "sv") == ["average sentence 11.5 words"]
    assert sentences_of('<main><div class="honeypot"><label>Jätä tyhjäksi</label></div><h1>Otsikko</h1></main>') \
        == ["Otsikko"]

