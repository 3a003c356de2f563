"""Every error becomes `application/problem+json` (RFC 9457), in one place.

Views and use-cases raise `DomainError` subclasses or werkzeug HTTP exceptions; nothing
else builds an error body. A browser asking for HTML gets the same facts as a page.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, json, render_template, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
SERVER_ERROR_DETAIL = "Something went wrong on our side. Please try again."


class DomainError(Exception):
    """An error a use-case reports to its caller; the HTTP layer turns it into a problem."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers) if headers else {}


class InvalidInput(DomainError):
    status = 422
    slug = "validation-error"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Gone(DomainError):
    status = 410
    slug = "gone"
    title = "Gone"


class Unauthorized(DomainError):
    status = 401
    slug = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="elo"'})


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class TooManyRequests(DomainError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str = "Too many requests. Try again later.") -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


def problem_response(status: int, title: str, detail: str | None = None, *, type_: str = "about:blank",
                     errors: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = dict(errors)
    if _wants_html():
        response = Response(render_template("error.html", problem=body), status=status, mimetype="text/html")
    else:
        response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _wants_html() -> bool:
    if "/api/" in request.path or request.path.endswith(".ics"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", PROBLEM_JSON, "text/html"])
    return best == "text/html" and request.accept_mimetypes[best] > request.accept_mimetypes["application/json"]


def flatten_validation_messages(messages: Mapping[str, Any]) -> dict[str, Any]:
    """webargs nests messages by location (`{"json": {"email": [...]}}`); name the fields directly."""
    locations = {"json", "query", "form", "headers", "cookies", "files", "view_args", "path", "querystring"}
    if not messages or not set(messages) <= locations:
        return dict(messages)
    flat: dict[str, Any] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, Mapping):
            flat.update(location_messages)
        else:
            flat["_schema"] = location_messages
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return problem_response(status, "Internal server error", SERVER_ERROR_DETAIL)
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    detail = data.get("message") or error.description
    if errors:
        errors = flatten_validation_messages(errors)
        named = ", ".join(sorted(str(name) for name in errors))
        detail = f"Check these fields: {named}."
    headers = dict(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem_response(status, error.name, detail, errors=errors, headers=headers)


def handle_domain_error(error: DomainError) -> Response:
    return problem_response(error.status, error.title, error.detail, type_=f"urn:elo:problem:{error.slug}",
                            errors=error.errors, headers=error.headers)


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.error("unexpected error on %s %s", request.method, request.path, exc_info=error)
    return problem_response(500, "Internal server error", SERVER_ERROR_DETAIL)


class ProblemSchema(Schema):
    """The documented error body (RFC 9457), so API clients and schema checks see what is sent."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Messages per field, for validation errors"})


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with problem+json errors, documented as such."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # flask-smorest documents errors as application/json with its own schema; ours are problem+json.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (RFC 9457 problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return handle_http_exception(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
