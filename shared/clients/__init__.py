"""Typed clients for calls between services: one module per service that is called.

A client method sends a request whose body is dumped by a marshmallow schema and loads the
answer with another, so both sides of the HTTP contract are written down in `shared/` next to
the message contract. Answers are read with `unknown = EXCLUDE`: a service may add fields to an
answer without breaking its callers. Transport (in-process or HTTP) is `shared.internal.call`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError

from shared.internal import ServiceCallFailed, ServiceResponse, call

__all__ = ["AnswerSchema", "ServiceCallFailed", "ServiceClient"]


class AnswerSchema(Schema):
    """Base of the schemas that read another service's answers (tolerant of added fields)."""

    class Meta:
        unknown = EXCLUDE


class ServiceClient:
    """Base of the per-service clients; a subclass sets `service` and adds one method per call."""

    service: str = ""

    def request(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                body_schema: Schema | None = None, authenticated: bool = True,
                expected: Collection[int] = (200,), timeout: float = 5.0) -> ServiceResponse:
        json_body = body_schema.dump(body) if body_schema is not None and body is not None else body
        response = call(self.service, method, path, json_body=json_body, authenticated=authenticated,
                        timeout=timeout)
        if response.status not in expected:
            raise ServiceCallFailed(f"{self.service} {method} {path} answered {response.status}")
        return response

    def load(self, schema: Schema, body: Any, *, many: bool = False) -> Any:
        """The answer read by the schema, or ServiceCallFailed when it does not match."""
        try:
            return schema.load(body, many=many)
        except ValidationError as error:
            raise ServiceCallFailed(f"{self.service} answered with an unexpected body: {error.messages}") from error
