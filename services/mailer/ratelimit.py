"""The send-rate cap (`ELO_MAIL_RATE` messages per second), held across threads and processes.

Each sender reserves the next free slot and sleeps until it (GCRA without burst): with rate r the
n-th message goes at start + n/r however many threads and processes share the cap. The slot
lives in Redis when `ELO_REDIS_URL` is set, else in the mailer's PostgreSQL database (a locked
row), else (embedded SQLite: one process) in memory.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.mailer.models import RateBucket, engine_without_disk_wait
from shared.db import Database

BUCKET = "smtp"

# KEYS[1] the slot key; ARGV[1] seconds per message. Returns seconds to wait. Uses Redis's clock.
_RESERVE_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local interval = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], tostring(slot + interval), 'EX', 3600)
return tostring(slot - now)
"""


class RateLimiter(Protocol):
    def wait(self) -> None: ...


class NoLimit:
    def wait(self) -> None:
        return None


class MemoryLimiter:
    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        time.sleep(max(0.0, slot - now))


class RedisLimiter:
    def __init__(self, rate: float, url: str, key: str = f"elo:mailer:rate:{BUCKET}") -> None:
        import redis

        self.interval = 1.0 / rate
        self.key = key
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.script = self.client.register_script(_RESERVE_SCRIPT)

    def wait(self) -> None:
        delay = float(self.script(keys=[self.key], args=[repr(self.interval)]))
        time.sleep(max(0.0, delay))


class DatabaseLimiter:
    """One row in PostgreSQL: every process takes its slots from it with one atomic statement.

    A process reserves a block of slots (about 0.1 s worth) at a time and hands them to its threads
    in order, so the row is touched a few times a second, not once per message. A slot a busy
    process reaches late is still used if it is at most one block late (a burst of at most one
    block, as a token bucket allows), else dropped: over any longer time the cap holds. The
    statement runs on its own small autocommit engine that does not wait for the disk on commit,
    and uses the database's clock, so processes on different machines agree.
    """

    def __init__(self, rate: float, database: Database) -> None:
        self.interval = 1.0 / rate
        self.block = max(1, min(20, int(rate / 10)))
        self.engine = engine_without_disk_wait(database.url, pool_size=2, max_overflow=8,
                                               isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        with self.engine.connect() as connection:
            connection.execute(pg_insert(RateBucket).values(name=BUCKET, next_slot=0.0)
                               .on_conflict_do_nothing(index_elements=["name"]))
        self._slots: list[float] = []  # monotonic times, earliest first
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            while self._slots and self._slots[0] < now - self.block * self.interval:
                self._slots.pop(0)  # long gone: catching up would burst above the cap
            if not self._slots:
                self._slots = self._reserve(now)
            slot = self._slots.pop(0)
        time.sleep(max(0.0, slot - time.monotonic()))

    def _reserve(self, now: float) -> list[float]:
        with self.engine.connect() as connection:
            delay = float(connection.execute(_RESERVE_SQL, {"name": BUCKET, "span": self.block * self.interval})
                          .scalar_one())
        first = now + max(0.0, delay)
        return [first + index * self.interval for index in range(self.block)]


# Reserves `span` seconds of slots; returns how long until the first one.
_RESERVE_SQL = text(
    "UPDATE rate_buckets SET next_slot = GREATEST(next_slot, EXTRACT(EPOCH FROM clock_timestamp())) + :span "
    "WHERE name = :name RETURNING next_slot - :span - EXTRACT(EPOCH FROM clock_timestamp())"
)


_limiters: dict[tuple[float | None, str | None, str], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(rate: float | None, redis_url: str | None, database: Database) -> RateLimiter:
    """The process's limiter for these settings."""
    key = (rate, redis_url, database.url if rate else "")
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = _build(rate, redis_url, database)
        return limiter


def _build(rate: float | None, redis_url: str | None, database: Database) -> RateLimiter:
    if rate is None:
        return NoLimit()
    if redis_url:
        return RedisLimiter(rate, redis_url)
    if database.engine.dialect.name == "postgresql":
        return DatabaseLimiter(rate, database)
    return MemoryLimiter(rate)
