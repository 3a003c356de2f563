"""Rate limits: at most `limit` hits per `per_seconds` for a key, else `TooManyRequests(retry_after)`.

    check_rate(f"subscribe:ip:{ip}", limit=20, per_seconds=3600)

Sliding windows, estimated from two fixed ones: the hits of the previous window count in proportion
to how much of it still lies within the last `per_seconds`. A plain fixed window lets a client through
twice the limit across a window's edge (and a burst that straddles the edge may never reach the
limit). With `ELO_REDIS_URL` set the counters live in Redis and are shared between
processes (INCR + EXPIRE in one transaction); otherwise they live in this process's memory.
Keys may name people (an address hash, an IP): never put an address itself in a key.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context

from shared.errors import TooManyRequests

REDIS_PREFIX = "elo:rate:"


@dataclass
class _Window:
    started: int
    count: int
    previous: int = 0


def _sliding(count: int, previous: int, started: int, per_seconds: int, now: float) -> int:
    """Hits in the last `per_seconds`: this window's, plus the share of the previous one still inside."""
    still_inside = 1 - (now - started) / per_seconds
    return count + round(previous * max(0.0, still_inside))


class MemoryCounter:
    """Thread-safe fixed-window counters in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def hit(self, key: str, per_seconds: int, now: float) -> tuple[int, int]:
        """(hits in the last `per_seconds` including this one, seconds until the current window ends)."""
        started = int(now // per_seconds) * per_seconds
        with self._lock:
            window = self._windows.get(key)
            if window is None or window.started != started:
                if len(self._windows) > 100_000:
                    self._forget_old(now)
                previous = window.count if window and window.started == started - per_seconds else 0
                window = self._windows[key] = _Window(started, 0, previous)
            window.count += 1
            count = _sliding(window.count, window.previous, started, per_seconds, now)
        return count, started + per_seconds - int(now)

    def _forget_old(self, now: float) -> None:
        # Windows are at most a day long in practice; older ones can never count again.
        horizon = now - 86_400
        for key in [k for k, w in self._windows.items() if w.started < horizon]:
            del self._windows[key]

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class RedisCounter:
    """Fixed-window counters in Redis, shared by every process that uses the same server."""

    def __init__(self, url: str) -> None:
        import redis

        self._client: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def hit(self, key: str, per_seconds: int, now: float) -> tuple[int, int]:
        started = int(now // per_seconds) * per_seconds
        redis_key = f"{REDIS_PREFIX}{key}:{per_seconds}:{started}"
        previous_key = f"{REDIS_PREFIX}{key}:{per_seconds}:{started - per_seconds}"
        pipeline = self._client.pipeline(transaction=True)
        pipeline.incr(redis_key)
        pipeline.expire(redis_key, 2 * per_seconds + 1)  # read again as the previous window
        pipeline.get(previous_key)
        count, _, previous = pipeline.execute()
        return _sliding(int(count), int(previous or 0), started, per_seconds, now), started + per_seconds - int(now)

    def reset(self) -> None:
        for key in self._client.scan_iter(match=f"{REDIS_PREFIX}*", count=500):
            self._client.delete(key)


_memory = MemoryCounter()
_redis: dict[str, RedisCounter] = {}
_redis_lock = threading.Lock()


def counter_for(redis_url: str | None) -> MemoryCounter | RedisCounter:
    if not redis_url:
        return _memory
    with _redis_lock:
        if redis_url not in _redis:
            _redis[redis_url] = RedisCounter(redis_url)
        return _redis[redis_url]


def _configured_redis_url() -> str | None:
    if not has_app_context():
        return None
    settings = current_app.config.get("ELO_SETTINGS")
    return getattr(settings, "redis_url", None)


def _scale() -> int:
    """`RATE_LIMIT_SCALE` in the app's config multiplies every limit (tests that send thousands of requests,
    such as the API fuzzer; not a setting, so no deployment raises its limits by accident)."""
    if not has_app_context():
        return 1
    return max(1, int(current_app.config.get("RATE_LIMIT_SCALE", 1)))


def check_rate(key: str, limit: int, per_seconds: int, *, redis_url: str | None = None) -> None:
    """Count one hit on `key`; raise `TooManyRequests` when it is over `limit` in this window."""
    counter = counter_for(redis_url or _configured_redis_url())
    count, retry_after = counter.hit(key, per_seconds, time.time())
    if count > limit * _scale():
        raise TooManyRequests(max(1, retry_after))


def reset_rates(redis_url: str | None = None) -> None:
    """Forget every counter (tests; or an operator clearing a block)."""
    counter_for(redis_url or _configured_redis_url()).reset()
