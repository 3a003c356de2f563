"""Bearer tokens with roles for admin calls, stored hashed in each service's database.

Roles: coordinator (may do everything), editor (articles, issues), organizer (events).
Services call each other with a service token derived from the shared secret key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import current_database
from shared.errors import Forbidden, Unauthorized
from shared.models import ApiToken

ROLES = ("coordinator", "editor", "organizer")
SERVICE_ROLE = "service"
TOKEN_PREFIX = "elo_"  # noqa: S105 - a prefix that makes leaked tokens easy to find, not a secret

P = ParamSpec("P")
R = TypeVar("R")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def store_token(session: Session, token: str, role: str, label: str = "") -> ApiToken:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    row = ApiToken(token_hash=hash_token(token), role=role, label=label)
    session.add(row)
    return row


def service_token(secret_key: str) -> str:
    """The token one service shows another; never stored, derived from the shared secret."""
    return "svc_" + hmac.new(secret_key.encode(), b"elo-service-token", hashlib.sha256).hexdigest()


def role_of(session: Session, token: str, secret_key: str) -> str | None:
    if hmac.compare_digest(token, service_token(secret_key)):
        return SERVICE_ROLE
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                ApiToken.revoked_at.is_(None)))
    return row.role if row else None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_role(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow the view to callers whose token has one of `roles`; coordinators may always."""
    allowed = {*roles, "coordinator"}

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            token = bearer_token()
            if token is None:
                raise Unauthorized()
            role = role_of(current_database().session(), token, current_app.config["SECRET_KEY"])
            if role is None:
                raise Unauthorized("The bearer token is not valid.")
            if role not in allowed:
                raise Forbidden(f"This needs the role {' or '.join(sorted(allowed))}.")
            g.role = role
            return view(*args, **kwargs)

        return guarded

    return decorate


def current_role() -> Any:
    return g.get("role")
