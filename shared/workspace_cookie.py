"""One login for the whole workspace, across services that may run as separate processes.

The person logs in at any service's `/admin/login`. That service (the *home* of the login) keeps the
session in its own database (`shared.user_sessions`) and sets one cookie, `elo_workspace`, for the whole
host (path /), signed with the shared ELO_SECRET_KEY: it names the home service and the session token.
Every other service verifies the signature and asks the home service whether the session still lives
(`shared.clients.workspace`, an internal call with the service token), then reads the person's role from
its own `users` table (the same users in every database, `elo create-user`). No service reads another's
database, and the one session row is the truth for everyone:
- logout at any service ends it at the home service, so no service accepts the cookie afterwards;
- idle time and lifetime (ELO_SESSION_IDLE_MINUTES, ELO_SESSION_HOURS) count every service's requests;
- a new password or role ends it (`save_user` runs in every database, the home one included);
- when the home service does not answer, the others treat the person as logged out (fail closed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import Blueprint, Flask, after_this_request, current_app, jsonify, request
from werkzeug.wrappers import Response

from shared.accounts import find_user
from shared.auth import SERVICE_ROLE, authorize
from shared.clients import ServiceCallFailed
from shared.clients.workspace import SESSIONS_PATH, WorkspaceSessionClient
from shared.db import current_database
from shared.errors import InvalidInput, NotFound
from shared.models import User
from shared.network_registry import app_network
from shared.networks import Network, current_slug, using_network
from shared.tokens import TokenError, make_token, read_token
from shared.user_sessions import SessionLimits, end_session, live_session

log = logging.getLogger(__name__)

COOKIE_NAME = "elo_workspace"
COOKIE_PURPOSE = "workspace-session"


@dataclass(frozen=True)
class WorkspaceLogin:
    """What the signed cookie says: the service that keeps the session, the session's token, and the
    network whose database keeps it ("" for the default network). The person's role in each network
    is that network's own (`users` of that network): one login, roles per network."""

    home: str
    token: str
    network: str = ""

    def is_here(self) -> bool:
        return self.home == this_service() and self.network == (current_slug() or "")


def session_limits() -> SessionLimits:
    settings = current_app.config.get("ELO_SETTINGS")
    if settings is None:
        return SessionLimits()
    return SessionLimits(idle=dt.timedelta(minutes=settings.session_idle_minutes),
                         lifetime=dt.timedelta(hours=settings.session_hours))


def this_service() -> str:
    return str(current_app.config.get("SERVICE", "app"))


# --- the cookie ------------------------------------------------------------------------------------

def cookie_login() -> WorkspaceLogin | None:
    """The login the request's cookie names, when its signature holds (not yet whether the session lives)."""
    value = request.cookies.get(COOKIE_NAME)
    if not value:
        return None
    lifetime = int(session_limits().lifetime.total_seconds())
    try:
        data = read_token(current_app.config["SECRET_KEY"], COOKIE_PURPOSE, value, max_age=lifetime)
    except TokenError:
        return None
    if not (isinstance(data, list) and len(data) in (2, 3) and all(isinstance(part, str) for part in data)):
        return None
    return WorkspaceLogin(*data)


def set_cookie(token: str) -> None:
    """After this response the browser holds the login for every service (path /)."""
    value = make_token(current_app.config["SECRET_KEY"], COOKIE_PURPOSE, [this_service(), token, current_slug() or ""])
    max_age = int(session_limits().lifetime.total_seconds())

    @after_this_request
    def set_login_cookie(response: Response) -> Response:
        response.set_cookie(COOKIE_NAME, value, max_age=max_age, path="/", httponly=True, samesite="Lax",
                            secure=_secure())
        return response


def clear_cookie() -> None:
    @after_this_request
    def delete_login_cookie(response: Response) -> Response:
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax", secure=_secure())
        return response


def _secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def csrf_for(login: WorkspaceLogin) -> str:
    """The CSRF token of a login: the same in every service, new with every login, unknown without the cookie."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"workspace-csrf:{login.token}".encode(), hashlib.sha256).hexdigest()


# --- who is logged in ------------------------------------------------------------------------------

def logged_in_user() -> User | None:
    """The user of this request's workspace login in this service's database, or None."""
    login = cookie_login()
    if login is None:
        return None
    db_session = current_database().session()
    if login.is_here():
        row = live_session(db_session, login.token, session_limits())
        if db_session.dirty:  # the use noted, or the session ended
            db_session.commit()
        return db_session.get(User, row.user_id) if row is not None else None
    try:
        email = _live_email(login)
    except (ServiceCallFailed, LookupError) as error:
        log.warning("workspace login not checked, %s did not answer: %s", login.home, error)
        return None
    return find_user(db_session, email) if email is not None else None


def logged_in_elsewhere() -> bool:
    """The request's login lives, but its person has no account in this network (`shared.network_access`)."""
    login = cookie_login()
    if login is None or login.is_here():
        return False
    try:
        return _live_email(login) is not None
    except (ServiceCallFailed, LookupError):
        return False


def _live_email(login: WorkspaceLogin) -> str | None:
    """The address of the login's person while its session lives, asked where the session is kept."""
    with using_network(_home_network(login)):
        if login.home == this_service():  # this service, another network: its database, a session of its own
            with current_database().transaction() as session:
                row = live_session(session, login.token, session_limits())
                user = session.get(User, row.user_id) if row is not None else None
                return user.email if user is not None else None
        live = WorkspaceSessionClient(login.home).check(login.token)
        return live.email if live is not None else None


def end_login() -> None:
    """Logout: the session ends for every service, and this browser forgets the cookie."""
    login = cookie_login()
    clear_cookie()
    if login is None:
        return
    if login.is_here():
        db_session = current_database().session()
        end_session(db_session, login.token)
        db_session.commit()
        return
    try:
        with using_network(_home_network(login)):
            if login.home == this_service():
                with current_database().transaction() as session:
                    end_session(session, login.token)
            else:
                WorkspaceSessionClient(login.home).end(login.token)
    except (ServiceCallFailed, LookupError) as error:  # the cookie is gone here; the session still ends when idle
        log.warning("workspace logout not recorded, %s did not answer: %s", login.home, error)


def _home_network(login: WorkspaceLogin) -> Network | None:
    if not login.network:
        return None
    network = app_network(login.network)
    if network is None:
        raise LookupError(f"the login's network {login.network!r} is not known here")
    return network


# --- what the other services ask the home service --------------------------------------------------

def _token_from_body() -> str:
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise InvalidInput("The session token is missing.", errors={"token": ["Missing data for required field."]})
    return token


def _check() -> Response:
    authorize({SERVICE_ROLE})
    db_session = current_database().session()
    row = live_session(db_session, _token_from_body(), session_limits())
    user = db_session.get(User, row.user_id) if row is not None else None
    db_session.commit()
    if user is None:
        raise NotFound("No live workspace session has this token.")
    return jsonify({"email": user.email, "role": user.role})


def _end() -> tuple[str, int]:
    authorize({SERVICE_ROLE})
    db_session = current_database().session()
    end_session(db_session, _token_from_body())
    db_session.commit()
    return "", 204


def register_session_endpoints(app: Flask) -> None:
    blueprint = Blueprint("workspace_sessions", __name__, url_prefix=SESSIONS_PATH)
    blueprint.add_url_rule("/check", "check", _check, methods=["POST"])
    blueprint.add_url_rule("/end", "end", _end, methods=["POST"])
    app.register_blueprint(blueprint)
