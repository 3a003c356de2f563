"""Signed, purpose-bound, expiring tokens for links in emails and pages.

A token made for one purpose (say "confirm-subscription") is refused for any other,
and after its lifetime. Tokens carry ids, never addresses.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

DAY = 24 * 3600


class TokenError(Exception):
    """The token is not valid for this purpose."""


class TokenExpired(TokenError):
    """The token was valid once but its lifetime is over."""


class TokenInvalid(TokenError):
    """The token is tampered, malformed or made for another purpose."""


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"elo:{purpose}")


def make_token(secret_key: str, purpose: str, data: Any) -> str:
    token = _serializer(secret_key, purpose).dumps(data)
    return token if isinstance(token, str) else token.decode()


def read_token(secret_key: str, purpose: str, token: str, max_age: int) -> Any:
    """The data inside `token`, or `TokenExpired` / `TokenInvalid`."""
    try:
        return _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenExpired(purpose) from error
    except BadSignature as error:
        raise TokenInvalid(purpose) from error
