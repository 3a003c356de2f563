"""Base schemas for the HTTP edge: request bodies refuse unknown fields."""

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


class DatabaseId(fields.Integer):
    """An id of a row: a whole number an INTEGER column can hold (a larger one is a 422, not a 500)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, validate=validate.Range(min=1, max=MAX_DATABASE_ID), **kwargs)
