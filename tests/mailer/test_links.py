"""Every link to our site in every email carries the recipient's language, and the page opens in it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from services.mailer.composing import as_read
from services.mailer.links import localise_links, with_language
from services.mailer.rendering import Site, load_example, render, template_names
from shared.settings import Settings, load_settings
from tests.subscriptions.test_subscribers_journey import join, text_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from werkzeug.test import Client

    from tests.conftest import Backend, SmtpSink

BASE = "http://127.0.0.1:8000"
SITE = Site("Pohjois-Pohjanmaan ELO-verkosto", BASE, "Elinvoimakeskus, PL 86, 90101 Oulu")
OWN_LINK = re.compile(re.escape(BASE) + r"[^\s\"'<>]*")


def test_with_language_adds_or_keeps_the_language() -> None:
    assert with_language(f"{BASE}/events/x", "sv") == f"{BASE}/events/x?lang=sv"
    assert with_language(f"{BASE}/events/?kind=training#top", "sv") == f"{BASE}/events/?kind=training&lang=sv#top"
    assert with_language(f"{BASE}/newsletter/archive/1?lang=fi", "sv") == f"{BASE}/newsletter/archive/1?lang=fi"


def test_only_links_to_our_site_change() -> None:
    text = f"See {BASE}/events/x. Or https://meet.example.fi/{BASE} and {BASE}0/other."
    assert localise_links(text, BASE, "sv", escaped=False) == (
        f"See {BASE}/events/x?lang=sv. Or https://meet.example.fi/{BASE} and {BASE}0/other.")
    html = f'<a href="{BASE}/events/?kind=a&amp;theme=b">x</a>'
    localised = f'<a href="{BASE}/events/?kind=a&amp;theme=b&amp;lang=sv">x</a>'
    assert localise_links(html, BASE, "sv", escaped=True) == localised


def _read(template: str, language: str) -> tuple[str, str]:
    example = load_example(template)
    personal = {key: str(value) for key, value in example.get("personal", {}).items()}
    personal.setdefault("unsubscribe_url", f"{BASE}/newsletter/unsubscribe/example")
    personal.setdefault("preferences_url", f"{BASE}/newsletter/preferences/example")
    rendered = render(template, language, example.get("context", {}), SITE, list_mail=True, strict=True)
    read = as_read(rendered, personal)
    return read.html, read.text


@pytest.mark.parametrize("template", template_names())
def test_every_link_in_a_swedish_email_carries_sv(template: str) -> None:
    html, text = _read(template, "sv")
    links = OWN_LINK.findall(html.replace("&amp;", "&")) + OWN_LINK.findall(text)
    assert links, f"{template} links to our site"
    without = [link for link in links if parse_qs(urlsplit(link.rstrip(".,;:")).query).get("lang") != ["sv"]
               and "lang=fi" not in link]
    assert not without, f"{template}: links without lang=sv: {without}"


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


def test_the_links_of_real_swedish_emails_open_swedish_pages_in_a_finnish_browser(
        client: Client, smtp_sink: SmtpSink, drain: Callable[..., None]) -> None:
    join(client, smtp_sink, drain, "linnea.nieminen@example.fi", "sv")
    links = {link.rstrip(".,;:") for message in smtp_sink.to("linnea.nieminen@example.fi")
             for link in OWN_LINK.findall(text_of(message))}
    pages = [urlsplit(link) for link in links if "/api/" not in link]
    assert len(pages) >= 3, links
    for page in pages:
        assert parse_qs(page.query).get("lang") == ["sv"], page
        response = client.get(f"{page.path}?{page.query}", headers={"Accept-Language": "fi-FI,fi;q=0.9"})
        assert response.status_code == 200, page
        assert '<html lang="sv">' in response.get_data(as_text=True), page
