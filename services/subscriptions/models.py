"""The subscriptions service's database: one model base for both parts, and the `db` extension."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import Database, make_registry
from shared.models import PlatformBase


class Base(DeclarativeBase):
    registry = make_registry()


db = Database("subscriptions", [Base.metadata, PlatformBase.metadata])
