"""Every email template exists in fi, sv and en and renders (strictly: an undefined variable fails)."""

from __future__ import annotations

import quopri
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.mailer.composing import CompiledEmail, Recipient, _qp
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


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([".", " ", "\t", "=", "ä", "a" * 30, "€", "\n", "\r\n"]) | st.text(max_size=8),
                max_size=60).map("".join))
def test_quoted_printable_lines_are_short_start_with_no_dot_and_decode_exactly(text: str) -> None:
    encoded = _qp(text)
    lines = encoded.split(b"\r\n")
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 76
    assert not [line for line in lines if line.startswith(b".")]
    assert quopri.decodestring(encoded).decode().replace("\r\n", "\n") == text.replace("\r\n", "\n").replace("\r", "\n")


def test_personal_values_are_escaped_in_html_and_attributes() -> None:
    rendered = render("mailer-test-message", "en", {"sent_by": "A", "sent_at": "2026-11-22T07:00:00Z"}, SITE,
                      list_mail=True)
    values = {"name": '<script>"x"</script>', "email": "a@b.fi", "unsubscribe_url": 'https://x/?a=1&b="2"'}
    html = rendered.html.fill(values, escape=True)
    assert "<script>" not in html
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt;" in html
    assert 'href="https://x/?a=1&amp;b=&quot;2&quot;"' in html
    assert '<script>"x"</script>' in rendered.text.fill(values)


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
