"""Signed per-message addresses: `bounces+<token>@<domain>` (the envelope sender, VERP) and
`unsubscribe+<token>@<domain>` (the mailto of List-Unsubscribe).

A token is the delivery's id and a keyed hash bound to the address's purpose, in lower case
letters and digits only: mail systems may change the case of a local part, and the whole
address stays well within the 64 characters a local part may have.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

BOUNCES = "bounces"
UNSUBSCRIBE = "unsubscribe"
PURPOSES = (BOUNCES, UNSUBSCRIBE)
SIGNATURE_CHARS = 20  # 100 bits


def signed_address(secret_key: str, purpose: str, delivery_id: int, domain: str) -> str:
    return f"{purpose}+{delivery_id:x}.{_signature(secret_key, purpose, delivery_id)}@{domain}"


def read_address(secret_key: str, address: str) -> tuple[str, int | None] | None:
    """(purpose, delivery id) of one of our addresses; delivery id None when the token is missing or forged.

    None when the address is not a bounce or unsubscribe address at all.
    """
    local = address.rpartition("@")[0].lower()
    purpose, plus, token = local.partition("+")
    if purpose not in PURPOSES:
        return None
    if not plus:
        return purpose, None
    id_text, _, signature = token.partition(".")
    try:
        delivery_id = int(id_text, 16)
    except ValueError:
        return purpose, None
    if not hmac.compare_digest(signature, _signature(secret_key, purpose, delivery_id)):
        return purpose, None
    return purpose, delivery_id


def _signature(secret_key: str, purpose: str, delivery_id: int) -> str:
    digest = hmac.new(secret_key.encode(), f"inbound:{purpose}:{delivery_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:SIGNATURE_CHARS]
