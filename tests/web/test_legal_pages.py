"""The contact page, the accessibility statement and the privacy notice: in fi, sv and en, with the
coordinator's details from the settings, and linked from the footer of every part of the site."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask import Flask
from werkzeug.test import Client

from shared.settings import Settings

LEGAL_PATHS = ("/contact", "/accessibility", "/privacy")
HEADINGS = {
    "/contact": {"fi": "Yhteystiedot", "sv": "Kontaktuppgifter", "en": "Contact"},
    "/accessibility": {"fi": "Saavutettavuusseloste", "sv": "Tillgänglighetsutlåtande",
                       "en": "Accessibility statement"},
    "/privacy": {"fi": "Tietosuojaseloste", "sv": "Dataskyddsbeskrivning", "en": "Privacy notice"},
}
SUPERVISION_SITE = {"fi": "https://www.saavutettavuusvaatimukset.fi", "sv": "https://www.tillganglighetskrav.fi",
                    "en": "https://www.webaccessibility.fi"}
AUTHORITY = {"fi": "Lupa- ja valvontavirasto", "sv": "Tillstånds- och tillsynsverket",
             "en": "Finnish Supervisory Agency (Lupa- ja valvontavirasto)"}
# The postal address per language (the demo network's: ELO_POSTAL_ADDRESS_SV and _EN unset).
ADDRESSES = {"fi": "Elinvoimakeskus, PL 86, 90101 Oulu", "sv": "Livskraftscentralen, PB 86, 90101 Uleåborg",
             "en": "Vitality Centre, P.O. Box 86, 90101 Oulu"}
# Pages of each part of the site whose footer must link to the three pages.
SITE_PAGES = ("/", "/newsletter/", "/newsletter/archive/", "/newsletter/submit",
              "/newsletter/my-data", "/events/", "/events/year/2026", "/newsletter/admin/login",
              "/events/admin/login", "/mailer/admin/login", "/events/no-such-event")


def footer_of(html: str) -> str:
    match = re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S)
    assert match, "the page has no footer"
    return match.group(1)


@pytest.fixture
def contact_client(apps: dict[str, Flask], settings: Settings) -> Client:
    from services import landing
    from services.gateway import compose

    with_email = dataclasses.replace(settings, contact_email="elo-koordinaattori@example.fi",
                                     postal_address="Elinvoimakeskus, PL 86, 90101 Oulu")
    return Client(compose(apps, landing.create_app({"ELO_SETTINGS": with_email, "TESTING": True})))


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("path", LEGAL_PATHS)
def test_each_page_exists_in_each_language(contact_client: Client, path: str, language: str) -> None:
    response = contact_client.get(f"{path}?lang={language}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert f"<h1>{HEADINGS[path][language]}</h1>" in html
    assert "<title>" + HEADINGS[path][language] + " \N{EN DASH} " in html
    content = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert ADDRESSES[language] in content
    assert 'href="mailto:elo-koordinaattori@example.fi"' in content


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_accessibility_statement_follows_the_model(contact_client: Client, language: str) -> None:
    html = contact_client.get(f"/accessibility?lang={language}").get_data(as_text=True)
    assert "306/2019" in html
    assert AUTHORITY[language] in html
    assert SUPERVISION_SITE[language] in html
    assert "2.2.1" in html, "known non-conformities are listed with their criteria"
    assert "2.12.2026" in html or "2 December 2026" in html
    assert len(re.findall(r"<h2>", html)) >= 6  # status, non-conformities, method, feedback, authority, date


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_privacy_notice_covers_every_register_and_the_rights(contact_client: Client, language: str) -> None:
    html = contact_client.get(f"/privacy?lang={language}").get_data(as_text=True)
    assert html.count('<dl class="facts">') == 4  # subscribers, registrations, authors, mail log
    assert html.count("6(1)") + html.count("6.1") >= 3, "subscribers, registrations and authors name their legal basis"
    assert 'href="/newsletter/my-data"' in html.split("<footer", 1)[0]
    assert "tietosuoja.fi" in html


def test_without_a_contact_email_the_pages_show_the_postal_address_only(client: Client, settings: Settings) -> None:
    html = client.get("/contact?lang=en").get_data(as_text=True)
    assert settings.contact_email == ""
    assert "mailto:" not in html
    assert settings.postal_address_in("en") in html


def test_the_landing_page_links_to_article_submission(client: Client) -> None:
    for language in ("fi", "sv", "en"):
        html = client.get(f"/?lang={language}").get_data(as_text=True)
        assert 'href="/newsletter/submit"' in html.split("<footer", 1)[0]


@pytest.mark.parametrize("path", SITE_PAGES)
def test_every_footer_links_to_the_three_pages(client: Client, path: str) -> None:
    response = client.get(f"{path}?lang=sv", headers={"Accept": "text/html"})
    assert "text/html" in response.content_type
    footer = footer_of(response.get_data(as_text=True))
    for target in LEGAL_PATHS:
        assert f'href="{target}"' in footer, f"{path}: footer has no link to {target}"
    assert "Tillgänglighetsutlåtande" in footer
    assert ADDRESSES["sv"] in footer, "the postal address from the settings, in the page's language"
