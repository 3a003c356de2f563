"""Workspace accounts: users with argon2id password hashes, and the slow-down after wrong passwords.

Slow-down, per account and client: after `FREE_FAILURES` wrong passwords the lock lasts a time that
doubles with every further failure (30 s … 15 min). A client is either known to the account (it
logged in to it before: a signed device cookie, `KnownDevice`) or unknown.
- From a known client only that client's own failures count: a stranger elsewhere cannot lock the
  owner out of their own browser.
- From unknown clients the client IP, the typed address and the account (User.failed_logins /
  locked_until, shared by every process) are each locked, so brute force from one client or from
  many stays slow. Unknown addresses are throttled like known ones, so the login page does not tell
  which addresses have accounts.

The same hash is stored in every service's `users` (`elo create-user`); a new password or role ends
the person's sessions (`shared.user_sessions`). The login pages that use this are `shared.web_auth`;
nothing here needs a request.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import ROLES
from shared.db import utcnow
from shared.models import User
from shared.privacy import normalise_email
from shared.user_sessions import end_user_sessions

FREE_FAILURES = 5
FIRST_LOCK_SECONDS = 30
LONGEST_LOCK_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified when the address is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class PasswordTooShort(ValueError):
    """The new password is shorter than MIN_PASSWORD_LENGTH."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def save_user(session: Session, *, email: str, role: str, password_hash: str, name: str = "") -> User:
    """Create the user, or give an existing one this role and password (and unlock it).

    A new password or another role ends every session the person has (copied cookies included)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    address = normalise_email(email)
    user = find_user(session, address)
    if user is None:
        user = User(email=address, role=role, password_hash=password_hash, name=name)
        session.add(user)
    else:
        if (user.role, user.password_hash) != (role, password_hash):
            end_user_sessions(session, user.id)
        user.role, user.password_hash = role, password_hash
        user.name = name or user.name
        user.failed_logins, user.locked_until = 0, None
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def lock_seconds(failures: int) -> int:
    """How long to lock after `failures` consecutive failures (0 while under the free allowance)."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(LONGEST_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES)))


@dataclass
class Throttle:
    """Failure counts by key (client IP, typed address) for this process; forgotten after success."""

    failures: dict[str, tuple[int, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_seconds(self, key: str) -> float:
        with self.lock:
            count, last = self.failures.get(key, (0, 0.0))
        return max(0.0, last + lock_seconds(count) - time.monotonic())

    def fail(self, key: str) -> None:
        with self.lock:
            count, last = self.failures.get(key, (0, 0.0))
            if count and time.monotonic() - last > 2 * LONGEST_LOCK_SECONDS:
                count = 0
            self.failures[key] = (count + 1, time.monotonic())

    def forget(self, key: str) -> None:
        with self.lock:
            self.failures.pop(key, None)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    wait_seconds: float = 0.0


@dataclass(frozen=True)
class KnownDevice:
    """A client that logged in to `user_id` before (from its signed device cookie)."""

    user_id: int
    nonce: str


def authenticate(session: Session, throttle: Throttle, *, email: str, password: str, client: str,
                 device: KnownDevice | None = None) -> LoginResult:
    """The user for these credentials, or why not (wrong, or locked for `wait_seconds`).

    `client` is the client's IP address; `device` the known-device cookie the client showed, if any.
    """
    address = normalise_email(email)
    user = find_user(session, address)
    now = utcnow()
    known = user is not None and device is not None and device.user_id == user.id
    # A known client counts only its own failures; an unknown one counts for its IP and the typed address.
    keys = (f"device:{device.user_id}:{device.nonce}",) if known and device else (f"ip:{client}", f"email:{address}")
    waits = [throttle.wait_seconds(key) for key in keys]
    if user is not None and not known:
        _forget_old_account_failures(user, now)
        if user.locked_until is not None:
            waits.append((user.locked_until - now).total_seconds())
    if max(waits) > 0:
        return LoginResult(None, max(waits))
    if user is None or not _verify(user.password_hash, password):
        if user is None:
            _verify(_DUMMY_HASH, password)
        for key in keys:
            throttle.fail(key)
        if user is not None and not known:
            user.failed_logins += 1
            locked_for = lock_seconds(user.failed_logins)
            user.locked_until = now + dt.timedelta(seconds=locked_for) if locked_for else None
        return LoginResult(None)
    for key in keys:
        throttle.forget(key)
    if not known:  # from a known client the account's count stays: a stranger keeps their own slow-down
        user.failed_logins, user.locked_until = 0, None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user)


def _forget_old_account_failures(user: User, now: dt.datetime) -> None:
    """Like `Throttle.fail`: failures long past the last lock start counting from zero again."""
    if user.locked_until is not None and now - user.locked_until > dt.timedelta(seconds=2 * LONGEST_LOCK_SECONDS):
        user.failed_logins, user.locked_until = 0, None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
