"""The subscriptions service's tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import TYPE_ANNOTATION_MAP, Database, make_metadata
from shared.models import PlatformBase


class Base(DeclarativeBase):
    metadata = make_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


db = Database("subscriptions", [Base.metadata, PlatformBase.metadata])
