"""Every email template exists in fi, sv and en and renders (strictly: an undefined variable fails)."""

from __future__ import annotations

import re

import pytest

from services.mailer.composing import CompiledEmail, Recipient
from services.mailer.rendering import EMAIL_TEMPLATES, Segments, Site, load_example, render, template_names
from shared.settings import LANGUAGES

SITE = Site("Pohjois-Pohjanmaan ELO-verkosto", "https://elo.example", "Elinvoimakeskus, PL 86, 90101 Oulu")


FILES = [f"subject.{language}.txt" for language in LANGUAGES] + [
    f"body.{language}.{kind}" for language in LANGUAGES for kind in ("mjml", "txt")] + ["example.json"]


def test_there_are_templates() -> None:
    assert "mailer-test-message" in template_names()


@pytest.mark.parametrize("template", template_names())
def test_template_has_every_file(template: str) -> None:
    missing = [name for name in FILES if not (EMAIL_TEMPLATES / template / name).is_file()]
    assert not missing, f"{template} lacks {missing}"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", template), "template folders are kebab-case"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", template_names())
def test_template_renders(template: str, language: str) -> None:
    example = load_example(template)
    personal = {key: str(value) for key, value in example.get("personal", {}).items()}
    personal.setdefault("unsubscribe_url", "https://elo.example/newsletter/unsubscribe/token")
    personal.setdefault("preferences_url", "https://elo.example/newsletter/preferences/token")
    for list_mail in (False, True):
        rendered = render(template, language, example.get("context", {}), SITE, list_mail=list_mail, strict=True)
        subject = rendered.subject.fill(personal)
        assert subject.strip(), "empty subject"
        assert "\n" not in subject
        text = rendered.text.fill(personal)
        html = rendered.html.fill(personal, escape=True)
        assert SITE.postal_address in text, "the text body extends base.txt"
        assert SITE.postal_address in html, "the HTML body extends base.mjml"
        assert "%%ELO:" not in text + html + subject
        assert "<mj-" not in html, "MJML tags left in the HTML"
        if list_mail:
            assert personal["unsubscribe_url"] in text
            assert f'href="{personal["unsubscribe_url"]}"' in html
        built = CompiledEmail(rendered, mail_from="ELO <noreply@elo.example>", list_mail=list_mail).build(
            Recipient(email=personal.get("email", "maija@example.fi"), name=personal.get("name"),
                      idempotency_key=f"{template}:{language}", personal=personal))
        assert built.isascii()
        lines = built.split(b"\r\n")
        assert not [line for line in lines if line.startswith(b".")], "SMTP would have to dot-stuff"
        assert max(len(line) for line in lines) <= 998


def test_rendering_is_cached_per_template_language_and_content() -> None:
    context = {"sent_by": "A", "sent_at": "2026-11-22T07:00:00Z"}
    first = render("mailer-test-message", "fi", context, SITE, list_mail=False)
    assert render("mailer-test-message", "fi", dict(context, personal={"name": "B"}), SITE, list_mail=False) is first
    assert render("mailer-test-message", "sv", context, SITE, list_mail=False) is not first


@pytest.mark.parametrize(("language", "expected"), [("fi", "22.11.2026 klo 9.00"), ("sv", "22.11.2026 kl. 9.00"),
                                                    ("en", "22 November 2026 at 9.00")])
def test_local_datetime_in_each_language(language: str, expected: str) -> None:
    rendered = render("mailer-test-message", language, {"sent_by": "A", "sent_at": "2026-11-22T07:00:00+00:00"},
                      SITE, list_mail=False)
    assert expected in rendered.text.literals[0] + "".join(rendered.text.literals)


def test_segments_split_and_fill() -> None:
    segments = Segments.split("a %%ELO:name%% b %%ELO:email%%")
    assert segments.keys == ("name", "email")
    assert segments.fill({"name": "N"}) == "a N b "


@pytest.mark.parametrize(("language", "day", "time"),
                         [("fi", "26.11.2026", "9.00"), ("en", "26 November 2026", "9.00")])
def test_date_and_time_filters_read_iso_values_in_helsinki(language: str, day: str, time: str) -> None:
    from jinja2 import Environment

    from services.mailer.rendering import local_date, local_time

    env = Environment(autoescape=True)
    env.filters.update(local_date=local_date, local_time=local_time)
    template = env.from_string("{{ at|local_date }} {{ at|local_time }} {{ day|local_date }} {{ odd|local_date }}")
    text = template.render(language=language, at="2026-11-26T07:00:00+00:00", day="2026-11-26", odd="soon")
    assert text == f"{day} {time} {day} soon"
