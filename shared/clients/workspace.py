"""Typed client for the workspace login: any service with a workspace answers it.

    from shared.clients.workspace import WorkspaceSessionClient

    home = WorkspaceSessionClient("events")       # the service where the person logged in
    login = home.check(token)                     # LiveLogin(email, role), or None when the session has ended
    home.end(token)                               # logout: the session ends for every service

The session lives only in the database of the service where the person logged in; the others ask it
on every workspace request (`shared.workspace_cookie`), so an ended, idle or expired session is refused
everywhere at once, and each use counts against the idle time. ServiceCallFailed when it does not answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, post_load

from shared.clients import AnswerSchema, ServiceClient

__all__ = ["SESSIONS_PATH", "LiveLogin", "WorkspaceSessionClient"]

SESSIONS_PATH = "/internal/workspace-sessions"


@dataclass(frozen=True)
class LiveLogin:
    email: str
    role: str


class SessionTokenSchema(Schema):
    token = fields.String(required=True)


class LiveLoginSchema(AnswerSchema):
    email = fields.String(required=True)
    role = fields.String(required=True)

    @post_load
    def make(self, data: dict[str, Any], **_kwargs: Any) -> LiveLogin:
        return LiveLogin(**data)


class WorkspaceSessionClient(ServiceClient):
    def __init__(self, service: str) -> None:
        self.service = service

    def check(self, token: str) -> LiveLogin | None:
        response = self.request("POST", f"{SESSIONS_PATH}/check", body={"token": token},
                                body_schema=SessionTokenSchema(), expected=(200, 404))
        if response.status == 404:
            return None
        login: LiveLogin = self.load(LiveLoginSchema(), response.body)
        return login

    def end(self, token: str) -> None:
        self.request("POST", f"{SESSIONS_PATH}/end", body={"token": token}, body_schema=SessionTokenSchema(),
                     expected=(204,))
