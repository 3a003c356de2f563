"""Workspace login for the admin pages: email and password, one login for every service, CSRF, slow-down.

A login at any service's `/admin/login` holds for the whole workspace (`shared.workspace_cookie`): one
signed cookie names a server-side session (`shared.user_sessions`) that logout, a new password or role, or
`ELO_SESSION_IDLE_MINUTES` without a request end for every service, whoever holds a copy of the cookie;
it lasts `ELO_SESSION_HOURS` at most. A successful login also leaves a signed device cookie (path /admin
of the service) that makes this client known to the account for the slow-down.

Each service's admin area is one blueprint made by `admin_blueprint(...)`. It carries the
login and logout pages and checks, before every request:
- unsafe methods (POST, PUT, PATCH, DELETE) carry the session's CSRF token (`csrf_token` form
  field or `X-CSRF-Token` header), or the request is refused with 400 and nothing changes;
- every page but the login page needs a logged-in user, or redirects to the login page with `next`;
- a logged-in user whose role does not fit gets 403.

Passwords, users and the slow-down after wrong passwords are `shared.accounts`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import math
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    after_this_request,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, Forbidden, NotFound
from werkzeug.wrappers import Response

from shared.accounts import (
    FREE_FAILURES,
    MIN_PASSWORD_LENGTH,
    KnownDevice,
    LoginResult,
    PasswordTooShort,
    Throttle,
    authenticate,
    hash_password,
    lock_seconds,
    save_user,
)
from shared.auth import ROLES
from shared.db import current_database
from shared.i18n import compile_catalogues
from shared.models import User
from shared.settings import SERVICE_PREFIXES
from shared.tokens import TokenError, make_token, read_token
from shared.user_sessions import start_session
from shared.web import local_datetime
from shared.workspace_cookie import (
    cookie_login,
    csrf_for,
    end_login,
    logged_in_elsewhere,
    logged_in_user,
    register_session_endpoints,
    set_cookie,
)
from shared.workspace_nav import role_home, site_root, workspace_heading, workspace_nav

# Accounts and passwords live in shared.accounts; these names are also importable from here for the
# callers that knew this module first.
__all__ = [
    "FREE_FAILURES", "MIN_PASSWORD_LENGTH", "CsrfRefused", "PasswordTooShort", "admin_blueprint", "csrf_token",
    "current_user", "hash_password", "init_admin", "lock_seconds", "login_required", "safe_next", "save_user",
]

P = ParamSpec("P")
R = TypeVar("R")

DEVICE_PURPOSE = "known-device"
DEVICE_LIFETIME = dt.timedelta(days=180)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# --- CSRF ------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """The CSRF token to put in every admin form: the workspace login's (the same in every service), or
    before login this service's session's (made on first use)."""
    login = cookie_login()
    if login is not None:
        return csrf_for(login)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_is_valid() -> bool:
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    login = cookie_login()
    expected = [csrf_for(login)] if login is not None else []
    before_login = session.get("csrf")
    if isinstance(before_login, str):
        expected.append(before_login)
    return bool(given) and any(hmac.compare_digest(token, given) for token in expected)


class CsrfRefused(BadRequest):
    """A form without the session's CSRF token: refused before the view runs, so nothing changes."""


# --- the signed-in user ----------------------------------------------------------------------------

def current_user() -> User | None:
    """The logged-in user of this request (loaded once), or None.

    The first call (the admin blueprint's guard, before the view) notes the session's use and
    commits that at once when it wrote something, so the view starts with no open transaction."""
    if "elo_user" not in g:
        g.elo_user = logged_in_user()
    return g.elo_user  # type: ignore[no-any-return]


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
    """Only a path inside the workspace (any service's admin area on this site): never another host."""
    if not target or "\\" in target:
        return default
    parts = urlsplit(target)
    root = site_root()
    inside = parts.path.startswith(root + "/") and _WORKSPACE_PATH.match(parts.path[len(root):])
    if parts.scheme or parts.netloc or not inside or "/../" in parts.path or "/./" in parts.path:
        return default
    return target


_WORKSPACE_PATH = re.compile("^(" + "|".join(re.escape(prefix) for prefix in SERVICE_PREFIXES.values()) + ")/admin/")


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
            if logged_in_elsewhere():  # a person of another network: nothing of this one exists for them
                raise NotFound()
            return redirect_to_login()
        if user.role not in allowed:
            raise Forbidden(description=_("You do not have the rights to this page."))
        return None

    @blueprint.after_request
    def no_store(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        return response

    def login() -> str | Response:
        errors: dict[str, list[str]] = {}
        email = ""
        status = 200
        user = current_user()
        if user is not None and request.method == "GET":  # logged in already, at this or another service
            return redirect(_landing(user, allowed))
        if request.method == "POST":
            email = request.form.get("email", "").strip()
            password = request.form.get("password", "")
            if not email:
                errors["email"] = [_("Enter your email address.")]
            if not password:
                errors["password"] = [_("Enter your password.")]
            if not errors:
                result = _log_in(email, password)
                if result.user is not None:
                    return redirect(_landing(result.user, allowed))
                status = 429 if result.wait_seconds else 200
                errors["password"] = [_wrong_login_message(result)]
        asked_for = safe_next(request.values.get("next"), "")
        return render_template("admin/login.html", errors=errors, email=email, next=asked_for,
                               login_url=url_for(f"{name}.login")), status  # type: ignore[return-value]

    def _landing(user: User, allowed_here: set[str]) -> str:
        """The page asked for (`next`), else this workspace's home (or the person's own when they have none here)."""
        home = url_for(f"{name}.{home_endpoint}") if user.role in allowed_here else role_home(user.role)
        return safe_next(request.values.get("next"), home)

    def logout() -> Response:
        end_login()
        session.clear()
        return redirect(url_for(f"{name}.login"))

    blueprint.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", logout, methods=["POST"])
    return blueprint


def _log_in(email: str, password: str) -> LoginResult:
    """Any role may log in at any service's login page: the login is for the whole workspace."""
    db_session: Session = current_database().session()
    throttle = login_throttle(current_app)
    device = _known_device()
    result = authenticate(db_session, throttle, email=email, password=password, client=request.remote_addr or "",
                          device=device)
    token = start_session(db_session, result.user) if result.user is not None else None
    db_session.commit()
    if result.user is not None and token is not None:
        session.clear()
        set_cookie(token)
        nonce = device.nonce if device is not None and device.user_id == result.user.id else secrets.token_urlsafe(16)
        _remember_device(result.user.id, nonce)
    return result


def _device_cookie_name() -> str:
    return f"elo_{current_app.config.get('SERVICE', 'app')}_device"


def _known_device() -> KnownDevice | None:
    """The account this client logged in to before, from its signed device cookie."""
    cookie = request.cookies.get(_device_cookie_name())
    if not cookie:
        return None
    try:
        data = read_token(current_app.config["SECRET_KEY"], DEVICE_PURPOSE, cookie,
                          max_age=int(DEVICE_LIFETIME.total_seconds()))
    except TokenError:
        return None
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int)
            and isinstance(data[1], str)):
        return None
    return KnownDevice(user_id=data[0], nonce=data[1])


def _remember_device(user_id: int, nonce: str) -> None:
    value = make_token(current_app.config["SECRET_KEY"], DEVICE_PURPOSE, [user_id, nonce])
    path = f"{request.script_root}/admin"

    @after_this_request
    def set_device_cookie(response: Response) -> Response:
        response.set_cookie(_device_cookie_name(), value, max_age=int(DEVICE_LIFETIME.total_seconds()), path=path,
                            httponly=True, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure)
        return response


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


def admin_template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "current_user": current_user, "workspace_nav": workspace_nav,
            "workspace_heading": workspace_heading}


def init_admin(app: Flask, blueprint: Blueprint, translations: Path | None = None) -> None:
    """Register an admin blueprint, its template globals and its own catalogue on a service app."""
    if translations is not None:
        compile_catalogues([translations])
        app.extensions["babel"].translation_directories.append(str(translations))
    app.register_blueprint(blueprint)
    register_session_endpoints(app)
    app.jinja_env.globals.update(admin_template_globals())
    app.jinja_env.filters.setdefault("helsinki", local_datetime)
