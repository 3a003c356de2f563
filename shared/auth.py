"""Bearer tokens with roles for admin calls, stored hashed in each service's database.

Roles: coordinator (may do everything), editor (articles, issues), organizer (events).
Services call each other with a service token derived from the shared secret key.
A stored token works until it expires (`elo create-token --days N`) or is revoked (`elo tokens revoke`);
`elo create-token` writes the same token into every service's database, so a token is named across
databases by `token_id` (the start of its hash), never by a row id.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import current_database, utcnow
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.models import ApiToken
from shared.network_registry import app_networks
from shared.networks import current_slug, using_network

ROLES = ("coordinator", "editor", "organizer")
SERVICE_ROLE = "service"
TOKEN_PREFIX = "elo_"  # noqa: S105 - a prefix that makes leaked tokens easy to find, not a secret
DEFAULT_TOKEN_DAYS = 365
TOKEN_ID_LENGTH = 12

P = ParamSpec("P")
R = TypeVar("R")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_id(row: ApiToken) -> str:
    """The token's public name: the same in every service's database, and no use to a thief."""
    return row.token_hash[:TOKEN_ID_LENGTH]


def store_token(session: Session, token: str, role: str, label: str = "", *,
                days: int = DEFAULT_TOKEN_DAYS) -> ApiToken:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if days < 1:
        raise ValueError("a token must be valid for at least one day")
    now = utcnow()
    row = ApiToken(token_hash=hash_token(token), role=role, label=label, created_at=now,
                   expires_at=now + dt.timedelta(days=days))
    session.add(row)
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))


def tokens_named(session: Session, given_id: str) -> list[ApiToken]:
    """The tokens whose `token_id` starts with `given_id` (at least 6 characters, else none)."""
    given_id = given_id.strip().lower()
    if len(given_id) < 6:
        return []
    return list(session.scalars(select(ApiToken).where(ApiToken.token_hash.startswith(given_id, autoescape=True))))


def revoke(rows: list[ApiToken]) -> None:
    now = utcnow()
    for row in rows:
        if row.revoked_at is None:
            row.revoked_at = now


def service_token(secret_key: str) -> str:
    """The token one service shows another; never stored, derived from the shared secret."""
    return "svc_" + hmac.new(secret_key.encode(), b"elo-service-token", hashlib.sha256).hexdigest()


def role_of(session: Session, token: str, secret_key: str) -> str | None:
    if hmac.compare_digest(token, service_token(secret_key)):
        return SERVICE_ROLE
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()))
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
            authorize(allowed)
            return view(*args, **kwargs)

        # shared.web reads this to authenticate before any input is checked (401 before 422).
        guarded.required_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return guarded

    return decorate


def authorize(allowed: set[str] | frozenset[str]) -> str:
    """The caller's role when its bearer token has one of `allowed`; else Unauthorized or Forbidden."""
    if g.get("role") in allowed:
        return str(g.role)  # already checked in this request (shared.web checks before the input)
    token = bearer_token()
    if token is None:
        raise Unauthorized()
    role = role_of(current_database().session(), token, current_app.config["SECRET_KEY"])
    if role is None:
        if token_of_another_network(token):
            raise NotFound("There is no such resource in this network.")
        raise Unauthorized("The bearer token is not valid.")
    if role not in allowed:
        raise Forbidden(f"This needs the role {' or '.join(sorted(allowed))}.")
    g.role = role
    return role


def token_of_another_network(token: str) -> bool:
    """A token good in another network of this deployment, not in the one asked: its holder gets 404 (the
    network's things do not exist for them), not 401, which would invite trying. Asked only after a failure."""
    database = current_database()
    secret = current_app.config["SECRET_KEY"]
    here = current_slug()
    for network in [None, *app_networks()]:
        if (network.slug if network is not None else None) == here:
            continue
        with using_network(network), database.transaction() as session:
            if role_of(session, token, secret) not in (None, SERVICE_ROLE):
                return True
    return False


def current_role() -> Any:
    return g.get("role")
