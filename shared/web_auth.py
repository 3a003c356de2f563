"""Coordinator login for the admin pages: email and password, a session cookie, CSRF, slow-down.

Each service's admin area is one blueprint made by `admin_blueprint(...)`. It carries the
login and logout pages and checks, before every request:
- unsafe methods (POST, PUT, PATCH, DELETE) carry the session's CSRF token (`csrf_token` form
  field or `X-CSRF-Token` header), or the request is refused with 400 and nothing changes;
- every page but the login page needs a logged-in user, or redirects to the login page with `next`.

Slow-down: after `FREE_FAILURES` wrong passwords an account (User.failed_logins/locked_until),
an address typed on the login form, and a client IP are each locked for a time that doubles with
every further failure (30 s … 15 min). Unknown addresses are throttled like known ones, so the
login page does not tell which addresses have accounts.

Passwords are argon2id hashes (argon2-cffi); the same hash is stored in every service's `users`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, Forbidden
from werkzeug.wrappers import Response

from shared.auth import ROLES
from shared.db import utcnow
from shared.i18n import compile_catalogues
from shared.models import User
from shared.web import current_language

P = ParamSpec("P")
R = TypeVar("R")

FREE_FAILURES = 5
FIRST_LOCK_SECONDS = 30
LONGEST_LOCK_SECONDS = 15 * 60
SESSION_LIFETIME = dt.timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HELSINKI = ZoneInfo("Europe/Helsinki")

_hasher = PasswordHasher()
# Verified when the address is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class PasswordTooShort(ValueError):
    """The new password is shorter than MIN_PASSWORD_LENGTH."""


# --- users -----------------------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def save_user(session: Session, *, email: str, role: str, password_hash: str, name: str = "") -> User:
    """Create the user, or give an existing one this role and password (and unlock it)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    address = normalise_email(email)
    user = find_user(session, address)
    if user is None:
        user = User(email=address, role=role, password_hash=password_hash, name=name)
        session.add(user)
    else:
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


def authenticate(session: Session, throttle: Throttle, *, email: str, password: str, client: str) -> LoginResult:
    """The user for these credentials, or why not (wrong, or locked for `wait_seconds`)."""
    address = normalise_email(email)
    keys = (f"ip:{client}", f"email:{address}")
    user = find_user(session, address)
    now = utcnow()
    waits = [throttle.wait_seconds(key) for key in keys]
    if user is not None and user.locked_until is not None:
        waits.append((user.locked_until - now).total_seconds())
    if max(waits) > 0:
        return LoginResult(None, max(waits))
    if user is None:
        _verify(_DUMMY_HASH, password)
        for key in keys:
            throttle.fail(key)
        return LoginResult(None)
    if not _verify(user.password_hash, password):
        for key in keys:
            throttle.fail(key)
        user.failed_logins += 1
        locked_for = lock_seconds(user.failed_logins)
        user.locked_until = now + dt.timedelta(seconds=locked_for) if locked_for else None
        return LoginResult(None)
    for key in keys:
        throttle.forget(key)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return LoginResult(user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- CSRF ------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """The session's CSRF token (made on first use); put it in every admin form."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_is_valid() -> bool:
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, given)


class CsrfRefused(BadRequest):
    """A form without the session's CSRF token: refused before the view runs, so nothing changes."""


# --- the signed-in user ----------------------------------------------------------------------------

def current_user() -> User | None:
    """The logged-in user of this request (loaded once), or None."""
    if "elo_user" in g:
        return g.elo_user  # type: ignore[no-any-return]
    user: User | None = None
    user_id, since = session.get("user_id"), session.get("login_at")
    if isinstance(user_id, int) and isinstance(since, (int, float)) and \
            time.time() - since < SESSION_LIFETIME.total_seconds():
        user = current_app.extensions["elo_database"].session().get(User, user_id)
    g.elo_user = user
    return user


def login_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Page views: redirect to the login page without a login; 403 when the role does not fit.

    Coordinators may always. Without `roles`, any logged-in user may.
    """
    allowed = {*roles, "coordinator"} if roles else set(ROLES)

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            user = current_user()
            if user is None:
                return redirect_to_login()
            if user.role not in allowed:
                raise Forbidden(description=_("You do not have the rights to this page."))
            return view(*args, **kwargs)

        return guarded

    return decorate


def redirect_to_login() -> Response:
    target = request.script_root + request.full_path.rstrip("?")
    login_endpoint = f"{request.blueprint}.login" if request.blueprint else "login"
    return redirect(url_for(login_endpoint, next=target))


def safe_next(target: str | None, default: str) -> str:
    """Only a path inside this service's admin area: never another host or service."""
    admin_root = f"{request.script_root}/admin/"
    if not target or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(admin_root):
        return default
    return target


# --- the admin blueprint ---------------------------------------------------------------------------

def admin_blueprint(name: str, import_name: str, *, roles: Iterable[str], home_endpoint: str,
                    template_folder: str | None = None) -> Blueprint:
    """A blueprint at `/admin` with login and logout; every other page needs one of `roles`.

    `home_endpoint` (e.g. "dashboard") is where the login page goes when no `next` was given.
    """
    blueprint = Blueprint(name, import_name, url_prefix="/admin", template_folder=template_folder)
    allowed = {*roles, "coordinator"}
    open_endpoints = {f"{name}.login"}

    @blueprint.before_request
    def guard() -> Response | None:
        if request.method in UNSAFE_METHODS and not csrf_is_valid():
            raise CsrfRefused(description=_("The form has expired. Go back, reload the page and send it again."))
        if request.endpoint in open_endpoints:
            return None
        user = current_user()
        if user is None:
            return redirect_to_login()
        if user.role not in allowed:
            raise Forbidden(description=_("You do not have the rights to this page."))
        return None

    @blueprint.after_request
    def no_store(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        return response

    def login() -> str | Response:
        home = url_for(f"{name}.{home_endpoint}")
        target = safe_next(request.values.get("next"), home)
        errors: dict[str, list[str]] = {}
        email = ""
        status = 200
        if request.method == "POST":
            email = request.form.get("email", "").strip()
            password = request.form.get("password", "")
            if not email:
                errors["email"] = [_("Enter your email address.")]
            if not password:
                errors["password"] = [_("Enter your password.")]
            if not errors:
                result = _log_in(email, password, allowed)
                if result.user is not None:
                    return redirect(target)
                status = 429 if result.wait_seconds else 200
                errors["password"] = [_wrong_login_message(result)]
        return render_template("admin/login.html", errors=errors, email=email, next=target,
                               login_url=url_for(f"{name}.login")), status  # type: ignore[return-value]

    def logout() -> Response:
        session.clear()
        return redirect(url_for(f"{name}.login"))

    blueprint.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", logout, methods=["POST"])
    return blueprint


def _log_in(email: str, password: str, allowed: set[str]) -> LoginResult:
    database = current_app.extensions["elo_database"]
    db_session: Session = database.session()
    throttle = login_throttle(current_app)
    result = authenticate(db_session, throttle, email=email, password=password, client=request.remote_addr or "")
    if result.user is not None and result.user.role not in allowed:
        result = LoginResult(None)
    db_session.commit()
    if result.user is not None:
        session.clear()
        session["user_id"] = result.user.id
        session["login_at"] = time.time()
        session["csrf"] = secrets.token_urlsafe(32)
    return result


def _wrong_login_message(result: LoginResult) -> str:
    if result.wait_seconds:
        minutes = max(1, math.ceil(result.wait_seconds / 60))
        return str(_("Too many failed attempts. Wait %(minutes)s min and try again.", minutes=minutes))
    return str(_("The email address or the password is not right."))


def login_throttle(app: Flask) -> Throttle:
    throttle = app.extensions.get("elo_login_throttle")
    if throttle is None:
        throttle = app.extensions["elo_login_throttle"] = Throttle()
    assert isinstance(throttle, Throttle)
    return throttle


def local_time(moment: dt.datetime | None) -> str:
    """A stored UTC time as Finnish local time in the page's language: `22.11.2026 klo 9.00`."""
    if moment is None:
        return ""
    local = moment.astimezone(HELSINKI)
    word = {"fi": "klo ", "sv": "kl. "}.get(current_language(), "")
    return f"{local.day}.{local.month}.{local.year} {word}{local.hour}.{local.minute:02d}"


def admin_template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "current_user": current_user}


def init_admin(app: Flask, blueprint: Blueprint, translations: Path | None = None) -> None:
    """Register an admin blueprint, its template globals and its own catalogue on a service app."""
    if translations is not None:
        compile_catalogues([translations])
        app.extensions["babel"].translation_directories.append(str(translations))
    app.register_blueprint(blueprint)
    app.jinja_env.globals.update(admin_template_globals())
    app.jinja_env.filters.setdefault("helsinki", local_time)
