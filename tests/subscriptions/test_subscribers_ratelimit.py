"""shared.ratelimit: fixed windows in memory (thread-safe) and in Redis (shared between processes)."""

from __future__ import annotations

import threading
import uuid

import pytest

from shared.errors import TooManyRequests
from shared.ratelimit import MemoryCounter, RedisCounter, check_rate, reset_rates

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_memory_limit_counts_and_says_when_to_retry():
    key = f"test:{uuid.uuid4()}"
    for _ in range(3):
        check_rate(key, limit=3, per_seconds=60)
    with pytest.raises(TooManyRequests) as raised:
        check_rate(key, limit=3, per_seconds=60)
    assert 1 <= int(raised.value.headers["Retry-After"]) <= 60
    check_rate(f"{key}:other", limit=3, per_seconds=60)  # another key is not affected
    reset_rates()
    check_rate(key, limit=3, per_seconds=60)


def test_memory_counter_is_thread_safe():
    counter = MemoryCounter()
    counts: list[int] = []
    lock = threading.Lock()

    def hit() -> None:
        for _ in range(500):
            count, _ = counter.hit("k", 3600, 1000.0)
            with lock:
                counts.append(count)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 4001))


def test_the_previous_window_counts_in_proportion_to_its_overlap():
    counter = MemoryCounter()
    assert counter.hit("k", 60, 120.0) == (1, 60)
    assert counter.hit("k", 60, 179.0) == (2, 1)
    assert counter.hit("k", 60, 180.0) == (3, 60)  # a burst across the edge still counts whole
    assert counter.hit("k", 60, 210.0) == (3, 30)  # half of the previous window's 2, plus 2
    assert counter.hit("k", 60, 300.0) == (1, 60)  # two windows on, nothing is left


def test_a_burst_across_the_window_edge_reaches_the_limit():
    counter = MemoryCounter()
    counts = [counter.hit("k", 900, 899.0 + n * 0.05)[0] for n in range(60)]
    assert max(counts) == 60


def test_redis_counter_slides_like_the_memory_counter(redis_url):
    key = f"test:{uuid.uuid4()}"
    counter = RedisCounter(redis_url)
    try:
        assert [counter.hit(key, 60, at)[0] for at in (120.0, 179.0, 180.0, 210.0, 300.0)] == [1, 2, 3, 3, 1]
    finally:
        reset_rates(redis_url)


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    return REDIS_URL


def test_redis_counters_are_shared_between_counters_and_reset(redis_url):
    key = f"test:{uuid.uuid4()}"
    first, second = RedisCounter(redis_url), RedisCounter(redis_url)
    assert first.hit(key, 60, 1000.0)[0] == 1
    assert second.hit(key, 60, 1001.0)[0] == 2
    for _ in range(2):
        check_rate(key + "x", limit=2, per_seconds=60, redis_url=redis_url)
    with pytest.raises(TooManyRequests):
        check_rate(key + "x", limit=2, per_seconds=60, redis_url=redis_url)
    reset_rates(redis_url)
    check_rate(key + "x", limit=2, per_seconds=60, redis_url=redis_url)
    reset_rates(redis_url)


def test_the_subscription_api_uses_redis_when_configured(client, apps, redis_url, monkeypatch):
    import dataclasses

    settings = apps["subscriptions"].config["ELO_SETTINGS"]
    with_redis = dataclasses.replace(settings, redis_url=redis_url)
    monkeypatch.setitem(apps["subscriptions"].config, "ELO_SETTINGS", with_redis)
    apps["subscriptions"].config["SUBSCRIBE_LIMIT_PER_IP"] = 2
    reset_rates(redis_url)
    try:
        body = {"language": "fi", "topics": ["newsletter"]}
        answers = [client.post("/newsletter/api/v1/subscriptions", json={"email": f"r{n}@example.fi", **body})
                   for n in range(3)]
        assert [a.status_code for a in answers] == [202, 202, 429]
        assert RedisCounter(redis_url)._client.keys("elo:rate:subscribe:ip:*")
    finally:
        reset_rates(redis_url)
