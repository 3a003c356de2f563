"""The one search over subscribers, its counts and its CSV export, for the API and the workspace alike.

The export's first columns are the import's (`importing.COLUMNS`), so a downloaded file imports back
unchanged; status and the dates follow for reading (the importer uses status and unsubscribed_at).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import (
    SUBSCRIBER_LANGUAGES,
    TOPICS,
    Subscriber,
    SubscriberStatus,
    SubscriberTopic,
)
from shared.charts import cumulative_by_month, month_starts
from shared.db import utcnow

IMPORT_COLUMNS = ("email", "name", "organisation", "language", "topics", "consent_at")
EXPORT_COLUMNS = (*IMPORT_COLUMNS, "status", "created_at", "unsubscribed_at")

Row = TypeVarTuple("Row")


@dataclass(frozen=True)
class SubscriberFilter:
    """Who to list: text in the address, name or organisation (any case; % and _ are plain), and exact fields."""

    text: str | None = None
    status: SubscriberStatus | None = None
    language: str | None = None
    topic: str | None = None

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> SubscriberFilter:
        """From validated query arguments (`q`, `status`, `language`, `topic`); unknown statuses are ignored."""
        status = args.get("status") or None
        return cls(text=(args.get("q") or "").strip() or None,
                   status=SubscriberStatus(status) if status in set(SubscriberStatus) else None,
                   language=args.get("language") or None, topic=args.get("topic") or None)

    def apply(self, query: Select[*Row]) -> Select[*Row]:
        if self.status is not None:
            query = query.where(Subscriber.status == self.status)
        if self.language:
            query = query.where(Subscriber.language == self.language)
        if self.topic:
            query = query.where(Subscriber.id.in_(select(SubscriberTopic.subscriber_id)
                                                  .where(SubscriberTopic.topic == self.topic)))
        if self.text:
            wanted = self.text.lower()
            query = query.where(or_(*(func.lower(column).contains(wanted, autoescape=True)
                                      for column in (Subscriber.email, Subscriber.name, Subscriber.organisation))))
        return query


EVERYONE = SubscriberFilter()


def count(session: Session, scope: SubscriberFilter) -> int:
    return session.scalar(scope.apply(select(func.count(Subscriber.id)))) or 0


def page_after(session: Session, scope: SubscriberFilter, *, after: int,
               limit: int) -> tuple[list[Subscriber], int | None]:
    """Keyset page in id order: (subscribers, the `after` of the next page or None)."""
    found = list(session.scalars(scope.apply(select(Subscriber)).where(Subscriber.id > after)
                                 .order_by(Subscriber.id).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return found, found[-1].id if more else None


def newest(session: Session, scope: SubscriberFilter, limit: int) -> list[Subscriber]:
    return list(session.scalars(scope.apply(select(Subscriber))
                                .order_by(Subscriber.created_at.desc(), Subscriber.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Counts:
    status: dict[str, int]
    language: dict[str, int]
    topic: dict[str, int]  # of confirmed subscribers only: who gets what

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"status": self.status, "language": self.language, "topic": self.topic}


def counts(session: Session, scope: SubscriberFilter = EVERYONE) -> Counts:
    """Subscribers in the scope by status and language, and confirmed ones by topic."""
    status = {s.value: 0 for s in SubscriberStatus}
    for value, number in session.execute(scope.apply(select(Subscriber.status, func.count())
                                                     .group_by(Subscriber.status))):
        status[SubscriberStatus(value).value] = number
    language = dict.fromkeys(SUBSCRIBER_LANGUAGES, 0)
    for code, number in session.execute(scope.apply(select(Subscriber.language, func.count())
                                                    .group_by(Subscriber.language))):
        language[code] = number
    topic = dict.fromkeys(TOPICS, 0)
    confirmed_topics = (select(SubscriberTopic.topic, func.count()).join(Subscriber)
                        .where(Subscriber.status == SubscriberStatus.CONFIRMED).group_by(SubscriberTopic.topic))
    for name, number in session.execute(scope.apply(confirmed_topics)):
        topic[name] = number
    return Counts(status=status, language=language, topic=topic)


def growth(session: Session, months: int) -> list[tuple[dt.date, int]]:
    """(first day of the month, confirmed subscribers at its end) for the last `months` months."""
    confirmed_days = [moment.date() for moment in session.scalars(
        select(Subscriber.confirmed_at).where(Subscriber.status == SubscriberStatus.CONFIRMED,
                                              Subscriber.confirmed_at.is_not(None))) if moment]
    starts = month_starts(utcnow().date(), months)
    return list(zip(starts, cumulative_by_month(confirmed_days, starts), strict=True))


def export_rows(session: Session, scope: SubscriberFilter = EVERYONE) -> Iterator[list[str]]:
    """One row per subscriber in id order, in the order of EXPORT_COLUMNS (cells for shared.csvfile)."""
    for subscriber in session.scalars(scope.apply(select(Subscriber)).order_by(Subscriber.id)):
        yield [subscriber.email, subscriber.name or "", subscriber.organisation or "", subscriber.language,
               " ".join(subscriber.topic_names), _iso(subscriber.confirmed_at), subscriber.status.value,
               _iso(subscriber.created_at), _iso(subscriber.unsubscribed_at)]


def export_filename() -> str:
    return f"subscribers-{utcnow().date().isoformat()}.csv"


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""
