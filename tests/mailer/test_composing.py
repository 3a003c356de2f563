"""MIME composition: quoted-printable parts and per-recipient values as they are sent."""

from __future__ import annotations

import quopri

from hypothesis import given, settings
from hypothesis import strategies as st

from services.mailer.composing import CompiledEmail, Recipient, _qp, as_read
from services.mailer.rendering import Site, render

SITE = Site("Pohjois-Pohjanmaan ELO-verkosto", "https://elo.example", "Elinvoimakeskus, PL 86, 90101 Oulu")


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


def test_a_recipient_reads_what_was_built_for_them() -> None:
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    rendered = render("mailer-test-message", "fi", {"sent_by": "Å", "sent_at": "2026-11-22T07:00:00Z"}, SITE,
                      list_mail=True)
    values = {"name": "Äijä <b> 'x' & \"y\"\r\nz", "email": "a@b.fi", "unsubscribe_url": "https://x/?a=1&b=2",
              "preferences_url": "https://x/p"}
    built = CompiledEmail(rendered, mail_from="ELO <noreply@elo.example>", list_mail=True).build(
        Recipient(email="a@b.fi", name=values["name"], idempotency_key="read:1", personal=values))
    message = message_from_bytes(built, policy=policy.default)
    assert isinstance(message, EmailMessage)
    read = as_read(rendered, values)
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    assert isinstance(html, EmailMessage)
    assert isinstance(text, EmailMessage)
    assert read.subject == message["Subject"]
    assert read.html.split("\n") == html.get_content().replace("\r\n", "\n").split("\n")
    assert read.text.split("\n") == text.get_content().replace("\r\n", "\n").split("\n")
