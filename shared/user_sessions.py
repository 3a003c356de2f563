"""Workspace sessions kept on the server (`shared.models.UserSession`), so that they can be ended.

The signed session cookie holds a random token; the row's id is its SHA-256. A session is live
while it has not been ended, was used within `idle` and began within `lifetime`. Logout ends one
session; a new password or role (`shared.accounts.save_user`) ends every session of that person.
Nothing here needs a request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.models import User, UserSession

DEFAULT_IDLE = dt.timedelta(hours=2)
DEFAULT_LIFETIME = dt.timedelta(hours=12)
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = dt.timedelta(seconds=60)
# A person's sessions older than this are deleted when they log in again (none can still be live).
KEEP_FOR = dt.timedelta(days=7)


@dataclass(frozen=True)
class SessionLimits:
    idle: dt.timedelta = DEFAULT_IDLE
    lifetime: dt.timedelta = DEFAULT_LIFETIME


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new session for `user`; the token to put in the signed cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < now - KEEP_FOR))
    session.add(UserSession(id=_session_id(token), user_id=user.id, created_at=now, last_seen_at=now))
    session.flush()
    return token


def live_session(session: Session, token: str, limits: SessionLimits) -> UserSession | None:
    """The live session for this cookie token (its last use noted), or None when it has ended or expired."""
    row = session.get(UserSession, _session_id(token))
    now = utcnow()
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > limits.idle or now - row.created_at > limits.lifetime:
        row.ended_at = now
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end_session(session: Session, token: str) -> None:
    row = session.get(UserSession, _session_id(token))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()


def end_user_sessions(session: Session, user_id: int) -> None:
    """End every live session of this person (a new password, another role)."""
    session.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))

