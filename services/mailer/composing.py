"""MIME composition: a rendered email becomes a byte template once; each recipient costs a substitution.

The text and HTML parts are quoted-printable. Each literal piece is encoded once; a recipient's
values are encoded on their own and joined in with soft line breaks (`=CRLF`) on both sides, so
every line stays within 76 characters and the decoded text is exactly the substituted text.
Headers are written by hand with RFC 2047 encoded words: `email.message.EmailMessage` costs
milliseconds per message, this costs microseconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate, parseaddr

from services.mailer.rendering import RenderedEmail, Segments

CRLF = b"\r\n"
SOFT_BREAK = b"=\r\n"
QP_LINE = 76  # RFC 2045: at most 76 characters on an encoded line
ENCODED_WORD_BYTES = 45  # 45 bytes → 60 base64 characters → a 72-character encoded word
SPECIALS = set('()<>[]:;@\\,."')


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ListHeaders:
    list_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None = None
    signed_mailto: str | None = None  # unsubscribe+<token>@…: acted on by the inbound listener


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    idempotency_key: str
    personal: Mapping[str, str]
    list_headers: ListHeaders | None = None


def message_id(idempotency_key: str, domain: str) -> str:
    """The same key always gives the same Message-ID (receivers can spot a duplicate)."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def sender_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def encode_words(text: str) -> str:
    """RFC 2047 `=?utf-8?b?…?=` words (folded) when `text` is not plain ASCII."""
    if text.isascii() and "\r" not in text and "\n" not in text:
        return text
    text = " ".join(text.split())
    words: list[str] = []
    chunk = bytearray()
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > ENCODED_WORD_BYTES:
            words.append(_encoded_word(bytes(chunk)))
            chunk.clear()
        chunk.extend(encoded)
    if chunk:
        words.append(_encoded_word(bytes(chunk)))
    return "\r\n ".join(words)


def _encoded_word(data: bytes) -> str:
    return "=?utf-8?b?" + base64.b64encode(data).decode("ascii") + "?="


def format_address(name: str | None, email: str) -> str:
    """`Name <email>`, the name quoted or encoded as needed."""
    name = " ".join((name or "").split())
    if not name:
        return email
    if not name.isascii():
        return f"{encode_words(name)} <{email}>"
    if any(char in SPECIALS for char in name):
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{email}>'
    return f"{name} <{email}>"


def format_from(mail_from: str) -> str:
    name, address = parseaddr(mail_from)
    return format_address(name, address)


def _qp(text: str) -> bytes:
    # LF in, then CRLF out: b2a_qp guesses the line ending from the first line, which may be empty.
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    lines = binascii.b2a_qp(data, quotetabs=False, istext=True).split(b"\n")
    if any(len(line) > QP_LINE or line.startswith(b".") for line in lines):
        lines = [_fitted(line) for line in lines]
    return CRLF.join(lines)


def _fitted(line: bytes) -> bytes:
    """A leading "." as "=2E", so no line of a message starts with a dot and SMTP needs no
    dot-stuffing pass over it; a line over 76 characters (b2a_qp makes some when it encodes
    trailing spaces) split with soft breaks."""
    if line.startswith(b"."):
        line = b"=2E" + line[1:]
    if len(line) <= QP_LINE:
        return line
    cut = QP_LINE - 1
    while b"=" in line[cut - 2:cut]:  # never inside an =XX escape
        cut -= 1
    return line[:cut] + SOFT_BREAK + _fitted(line[cut:])


def _clean_value(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


@dataclass(frozen=True)
class QuotedPart:
    """A quoted-printable body whose gaps are filled per recipient."""

    literals: tuple[bytes, ...]
    keys: tuple[str, ...]
    escape: bool

    @classmethod
    def of(cls, segments: Segments, *, escape: bool) -> QuotedPart:
        return cls(tuple(_qp(text) for text in segments.literals), segments.keys, escape)

    def pieces(self, values: Mapping[str, str], encoded_cache: dict[str, bytes]) -> list[bytes]:
        if not self.keys:
            return [self.literals[0]]
        pieces = [self.literals[0]]
        for key, literal in zip(self.keys, self.literals[1:], strict=True):
            pieces.extend((SOFT_BREAK, self._value(key, values, encoded_cache), SOFT_BREAK, literal))
        return pieces

    def _value(self, key: str, values: Mapping[str, str], cache: dict[str, bytes]) -> bytes:
        cache_key = ("h:" if self.escape else "t:") + key
        encoded = cache.get(cache_key)
        if encoded is None:
            encoded = cache[cache_key] = _qp(personal_value(values.get(key), escape=self.escape))
        return encoded


def personal_value(value: str | None, *, escape: bool) -> str:
    """A recipient's value as it goes into a message: on one line, HTML-escaped in the HTML part."""
    value = _clean_value(value or "")
    if escape:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return value


@dataclass(frozen=True)
class ReadEmail:
    """A message as its recipient reads it: the decoded subject, HTML part and text part."""

    subject: str
    html: str
    text: str


def as_read(rendered: RenderedEmail, values: Mapping[str, str]) -> ReadEmail:
    """The subject, HTML and text a recipient with these values reads: the very substitution
    `CompiledEmail.build` makes, without the MIME encoding (text with LF line endings)."""
    values = rendered.personalise(values)
    html_values = {key: personal_value(value, escape=True) for key, value in values.items()}
    text_values = {key: personal_value(value, escape=False) for key, value in values.items()}
    subject = _clean_value(rendered.subject.fill(values))
    if not subject.isascii():
        subject = " ".join(subject.split())  # as encode_words writes the header
    return ReadEmail(subject=subject, html=rendered.html.fill(html_values), text=rendered.text.fill(text_values))


class CompiledEmail:
    """One rendered email as bytes with gaps: headers and parts built once, filled per recipient."""

    def __init__(self, rendered: RenderedEmail, *, mail_from: str, attachments: Sequence[Attachment] = (),
                 list_mail: bool = False) -> None:
        self.rendered = rendered
        self.list_mail = list_mail
        self.domain = sender_domain(mail_from)
        self.from_header = format_from(mail_from).encode()
        self.subject_plain = None if rendered.subject.keys else encode_words(rendered.subject.literals[0]).encode()
        self.text = QuotedPart.of(rendered.text, escape=False)
        self.html = QuotedPart.of(rendered.html, escape=True)
        token = secrets.token_hex(12)
        self.alternative_boundary = f"=_alt_{token}".encode()
        self.mixed_boundary = f"=_mix_{token}".encode() if attachments else None
        self.attachment_bytes = b"".join(_attachment_part(self.mixed_boundary or b"", item) for item in attachments)
        language = rendered.language.encode()
        self.text_head = (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
                          b"\r\nContent-Language: " + language + b"\r\n\r\n")
        self.html_head = (b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
                          b"\r\nContent-Language: " + language + b"\r\n\r\n")

    def build(self, recipient: Recipient, *, date: str | None = None) -> bytes:
        """The whole message for one recipient, CRLF line endings, ready for SMTP DATA."""
        values = {"name": recipient.name or "", "email": recipient.email, **recipient.personal}
        if recipient.list_headers and "unsubscribe_url" not in recipient.personal:
            values["unsubscribe_url"] = recipient.list_headers.unsubscribe_url
        values = self.rendered.personalise(values)
        cache: dict[str, bytes] = {}
        out: list[bytes] = [self._headers(recipient, values, date)]
        alternative = self.alternative_boundary
        if self.mixed_boundary is not None:
            out.append(b'Content-Type: multipart/mixed; boundary="' + self.mixed_boundary + b'"\r\n\r\n'
                       b"This is a multi-part message in MIME format.\r\n--" + self.mixed_boundary + b"\r\n")
        out.append(b'Content-Type: multipart/alternative; boundary="' + alternative + b'"\r\n\r\n')
        if self.mixed_boundary is None:
            out.append(b"This is a multi-part message in MIME format.\r\n")
        out.extend((b"--", alternative, CRLF, self.text_head))
        out.extend(self.text.pieces(values, cache))
        out.extend((CRLF, b"--", alternative, CRLF, self.html_head))
        out.extend(self.html.pieces(values, cache))
        out.extend((CRLF, b"--", alternative, b"--", CRLF))
        if self.mixed_boundary is not None:
            out.append(self.attachment_bytes)
            out.extend((b"--", self.mixed_boundary, b"--", CRLF))
        return b"".join(out)

    def subject_for(self, values: Mapping[str, str]) -> str:
        return self.rendered.subject.fill(values)

    def _headers(self, recipient: Recipient, values: Mapping[str, str], date: str | None) -> bytes:
        subject = self.subject_plain or encode_words(_clean_value(self.rendered.subject.fill(values))).encode()
        lines = [
            b"From: " + self.from_header,
            b"To: " + format_address(_clean_value(recipient.name or ""), recipient.email).encode(),
            b"Subject: " + subject,
            b"Date: " + (date or formatdate(usegmt=True)).encode(),
            b"Message-ID: " + message_id(recipient.idempotency_key, self.domain).encode(),
            b"MIME-Version: 1.0",
            b"Content-Language: " + self.rendered.language.encode(),
        ]
        if recipient.list_headers is not None:
            lines.extend(list_header_lines(recipient.list_headers))
        else:
            lines.append(b"Auto-Submitted: auto-generated")
        return CRLF.join(lines) + CRLF


def list_header_lines(headers: ListHeaders) -> Iterable[bytes]:
    list_id = headers.list_id if "<" in headers.list_id else f"<{headers.list_id}>"
    targets = [f"<{_clean_value(headers.unsubscribe_url)}>"]
    for given in (headers.signed_mailto, headers.unsubscribe_mailto):
        if given:
            mailto = _clean_value(given)
            targets.append(f"<{mailto if mailto.startswith('mailto:') else 'mailto:' + mailto}>")
    yield b"List-Id: " + encode_words(list_id).encode()
    yield b"List-Unsubscribe: " + ",\r\n ".join(targets).encode()
    yield b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"


def _attachment_part(boundary: bytes, attachment: Attachment) -> bytes:
    filename = attachment.filename.replace('"', "").replace("\r", "").replace("\n", "")
    if filename.isascii():
        disposition = f'attachment; filename="{filename}"'
    else:
        from urllib.parse import quote

        disposition = f"attachment; filename*=utf-8''{quote(filename)}"
    content_type = " ".join(attachment.content_type.split())
    if content_type.startswith("text/") and "charset" not in content_type:
        content_type += "; charset=utf-8"
    if "name=" not in content_type and filename.isascii():
        content_type += f'; name="{filename}"'
    encoded = base64.encodebytes(attachment.data).replace(b"\n", CRLF)
    return (b"--" + boundary + CRLF + b"Content-Type: " + content_type.encode() + CRLF
            + b"Content-Transfer-Encoding: base64" + CRLF + b"Content-Disposition: " + disposition.encode()
            + CRLF + CRLF + encoded)
