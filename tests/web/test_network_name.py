"""The network's name and postal address are settings per language, used in every page and email."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.mailer.composing import as_read
from services.mailer.config import site_of
from services.mailer.rendering import load_example, render
from shared.settings import load_settings

if TYPE_CHECKING:
    from werkzeug.test import Client

    from shared.settings import Settings

SV_NAME, SV_ADDRESS = "Norra Österbottens ELO-nätverk", "Livskraftscentralen, PB 86, 90101 Uleåborg"


def test_unset_the_demo_network_has_a_name_and_address_in_each_language() -> None:
    settings = load_settings({"ELO_SECRET_KEY": "x" * 40})
    assert settings.network_name_in("fi") == "Pohjois-Pohjanmaan ELO-verkosto"
    assert (settings.network_name_in("sv"), settings.postal_address_in("sv")) == (SV_NAME, SV_ADDRESS)
    assert settings.network_name_in("en") == "North Ostrobothnia ELO network"


def test_a_network_of_its_own_falls_back_to_its_finnish_name_never_to_the_demo() -> None:
    settings = load_settings({"ELO_SECRET_KEY": "x" * 40, "ELO_NETWORK_NAME": "Lapin ELO-verkosto",
                              "ELO_POSTAL_ADDRESS": "PL 1, 96100 Rovaniemi",
                              "ELO_NETWORK_NAME_SV": "Lapplands ELO-nätverk"})
    assert settings.network_name_in("sv") == "Lapplands ELO-nätverk"
    assert settings.network_name_in("en") == "Lapin ELO-verkosto"
    assert settings.postal_address_in("sv") == "PL 1, 96100 Rovaniemi"


def test_pages_show_the_name_and_address_in_the_page_language(client: Client) -> None:
    for path in ("/", "/newsletter/", "/events/", "/contact"):
        swedish = client.get(f"{path}?lang=sv").get_data(as_text=True)
        assert SV_NAME in swedish, path
        assert SV_ADDRESS in swedish, path
        assert "Pohjois-Pohjanmaan" not in swedish, path
        finnish = client.get(f"{path}?lang=fi").get_data(as_text=True)
        assert "Pohjois-Pohjanmaan ELO-verkosto" in finnish, path


def test_emails_carry_the_name_and_address_in_the_email_language(settings: Settings) -> None:
    site = site_of(settings)
    for template in ("newsletter-issue", "confirm-subscription", "registration-confirmed"):
        example = load_example(template)
        rendered = render(template, "sv", example.get("context", {}), site, list_mail=True, strict=True)
        read = as_read(rendered, {key: str(value) for key, value in example.get("personal", {}).items()})
        for part in (read.html, read.text):
            assert f"{SV_NAME} · {SV_ADDRESS}" in part, template  # the footer
            assert "Pohjois-Pohjanmaan ELO-verkosto" not in part, template
