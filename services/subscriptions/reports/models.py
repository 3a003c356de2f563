"""A finalised annual report: the composed figures of one year, stored as they were when finalised.

The network is implicit (each network has its own schema or database), so the year alone is unique.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from services.subscriptions.models import Base
from shared.db import utcnow


class AnnualReport(Base):
    __tablename__ = "annual_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    finalised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finalised_by: Mapped[str] = mapped_column(String(254))
