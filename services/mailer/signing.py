"""DKIM signatures (dkimpy) when ELO_DKIM_DOMAIN, ELO_DKIM_SELECTOR and ELO_DKIM_KEY_FILE are set."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import dkim

# What the signature covers. List-Unsubscribe and List-Unsubscribe-Post must be signed for
# one-click unsubscribe to be trusted (RFC 8058 section 4); headers a message lacks are skipped.
SIGNED_HEADERS = (b"From", b"To", b"Subject", b"Date", b"Message-ID", b"MIME-Version", b"Content-Type",
                  b"List-Id", b"List-Unsubscribe", b"List-Unsubscribe-Post", b"Auto-Submitted")


@dataclass(frozen=True)
class DkimSigner:
    domain: str
    selector: str
    key: bytes

    def sign(self, message: bytes) -> bytes:
        present = [name for name in SIGNED_HEADERS if _has_header(message, name)]
        signature: bytes = dkim.sign(message, self.selector.encode(), self.domain.encode(), self.key,
                                     canonicalize=(b"relaxed", b"relaxed"), include_headers=present)
        return signature + message


def _has_header(message: bytes, name: bytes) -> bool:
    head = message.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(name.lower() + b":") or (b"\r\n" + name.lower() + b":") in head


@functools.cache
def signer_for(domain: str | None, selector: str | None, key_file: Path | None) -> DkimSigner | None:
    if not (domain and selector and key_file):
        return None
    return DkimSigner(domain, selector, key_file.read_bytes())
