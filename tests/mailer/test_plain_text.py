"""The text part of every email, as the recipient's mail program gets it: lists keep one item per line
and links are named ("Open this link: …"), never buttons (there are no buttons in plain text)."""

from __future__ import annotations

import email
import email.policy
import html
import re
from email.message import EmailMessage
from typing import Any

import pytest

from services.mailer.composing import CompiledEmail, Recipient
from services.mailer.rendering import Site, html_text, load_example, render, template_names
from shared.settings import LANGUAGES

SITE = Site("Pohjois-Pohjanmaan ELO-verkosto", "https://elo.example", "Elinvoimakeskus, PL 86, 90101 Oulu")
BUTTON_WORDS = re.compile(r"\b(button|buttons|press|click|painik\w*|paina|napsauta|klikkaa|nappi\w*|knapp\w*|tryck)\b",
                          re.IGNORECASE)
ARTICLE_WITH_LISTS = ("<p>Ohjaajat kokosivat vinkit:</p>\n<ul>\n<li>Varaa aika ajoissa</li>\n"
                      "<li><p>Kysy <a href=\"https://example.fi/ohjaus\">ohjaajalta</a></p></li>\n</ul>\n"
                      "<p>Ja järjestyksessä:</p><ol><li>Ensin haku</li><li>Sitten valinta</li></ol>")
# A context with every list a template shows made long: three topics, an article with lists.
LISTY = {"topics": "newsletter events trainings"}


def context_of(template: str) -> dict[str, Any]:
    context: dict[str, Any] = dict(load_example(template).get("context", {}))
    context.update({key: value for key, value in LISTY.items() if key in context})
    if template == "newsletter-issue":
        context["articles"] = [{**article, "body_html": ARTICLE_WITH_LISTS} for article in context["articles"]]
    return context


def text_part(template: str, language: str) -> tuple[str, str]:
    """The decoded text/plain and text/html parts of the message as built for sending."""
    example = load_example(template)
    personal = {key: str(value) for key, value in example.get("personal", {}).items()}
    personal.setdefault("unsubscribe_url", "https://elo.example/newsletter/unsubscribe/token")
    personal.setdefault("preferences_url", "https://elo.example/newsletter/preferences/token")
    rendered = render(template, language, context_of(template), SITE, list_mail=True, strict=True)
    built = CompiledEmail(rendered, mail_from="ELO <noreply@elo.example>", list_mail=True).build(
        Recipient(email=personal.get("email", "maija@example.fi"), name=personal.get("name"),
                  idempotency_key=f"{template}:{language}", personal=personal))
    message = email.message_from_bytes(built, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    return str(plain.get_content()).replace("\r\n", "\n"), str(rich.get_content())


CASES = [(template, language) for template in template_names() for language in LANGUAGES]


@pytest.mark.parametrize(("template", "language"), CASES)
def test_the_text_part_names_links_not_buttons(template: str, language: str) -> None:
    text, _ = text_part(template, language)
    assert not BUTTON_WORDS.findall(text), f"{template}.{language}: {BUTTON_WORDS.findall(text)}"
    assert re.search(r"https?://", text), "the links are written out"


@pytest.mark.parametrize(("template", "language"), CASES)
def test_every_list_item_of_the_html_part_is_a_line_of_the_text_part(template: str, language: str) -> None:
    text, rich = text_part(template, language)
    lines = [line.strip() for line in text.splitlines()]
    items = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
             for item in re.findall(r"<li[^>]*>(.*?)</li>", rich, re.S)]
    for item in items:
        assert any(line.startswith(("- ", "1. ", "2. ")) and line.split(" ", 1)[1].startswith(item[:20])
                   for line in lines), f"{template}.{language}: list item {item!r} is not its own line"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", ["confirm-subscription", "welcome"])
def test_the_chosen_topics_are_one_per_line(template: str, language: str) -> None:
    text, _ = text_part(template, language)
    topic_lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(topic_lines) == 3, text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_articles_lists_stay_lists_in_the_newsletter(language: str) -> None:
    text, _ = text_part("newsletter-issue", language)
    assert "\n- Varaa aika ajoissa\n- Kysy ohjaajalta (https://example.fi/ohjaus)\n" in text
    assert "\n1. Ensin haku\n2. Sitten valinta\n" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_confirmation_says_to_open_the_link(language: str) -> None:
    text, _ = text_part("confirm-subscription", language)
    opening = {"fi": "Avaa tämä linkki", "sv": "Öppna den här länken", "en": "Open this link"}[language]
    paragraph = text.split(opening, 1)[1].split("\n\n", 1)[0]
    assert "/newsletter/confirm/" in paragraph, "the link follows the words that name it"


def test_html_text_formats_what_the_article_editor_allows() -> None:
    assert html_text("<h2>Otsikko</h2><p>Teksti <em>tässä</em>.</p><ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"
                     "<ol start=\"3\"><li>x</li></ol><p>rivi<br>toinen <a href=\"mailto:a@b.fi\">a@b.fi</a></p>") == (
        "Otsikko\n\nTeksti tässä.\n\n- a\n  - b\n- c\n\n3. x\n\nrivi\ntoinen a@b.fi")
