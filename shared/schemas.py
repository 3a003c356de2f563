"""Base schemas for the HTTP edge: request bodies refuse unknown fields and take JSON types strictly.

A rule the server enforces beyond a field's type (a cross-field check, a lookup) is stated in the
OpenAPI document with `rule("…")` in the field's metadata: it appears there as `x-rule` (and in the
field's description), so clients and the API fuzzer know why schema-valid data may still be a 422.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate


class BodySchema(Schema):
    """A request body: an unknown field is a 422 naming it."""

    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    """Query strings: unknown parameters are refused too, so typos do not silently filter nothing."""

    class Meta:
        unknown = RAISE


MAX_DATABASE_ID = 2**31 - 1


def rule(text: str, description: str | None = None) -> dict[str, str]:
    """Field metadata stating a rule the server enforces beyond the field's JSON Schema."""
    return {"x-rule": text, "description": f"{description} {text}" if description else text}


class StrictInteger(fields.Integer):
    """A JSON integer and nothing else: not "5", not 5.5, not true (a bool is an int in Python)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return int(super()._validated(value))


class StrictBoolean(fields.Boolean):
    """JSON true or false and nothing else: 1, 0, "yes" and "true" are a 422, as the OpenAPI says."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={True}, falsy={False}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class DatabaseId(StrictInteger):
    """An id of a row: a whole number an INTEGER column can hold (a larger one is a 422, not a 500)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_DATABASE_ID), **kwargs)


def query_position(**kwargs: Any) -> fields.Integer:
    """A keyset or page position in a query string, bounded so it never overflows a database integer."""
    return fields.Integer(validate=validate.Range(min=0, max=MAX_DATABASE_ID), **kwargs)
