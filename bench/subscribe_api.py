"""Subscribe API requests per second (POST /newsletter/api/v1/subscriptions: validate, rate limits, the request
committed as one outbox row and its message sent to RabbitMQ, then the answer; the worker, not run here,
subscribes) against a bare endpoint on the same gunicorn (same workers, middleware and headers), on
PostgreSQL + RabbitMQ, loaded with wrk over loopback."""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    Figure,
    Gunicorn,
    load,
    main,
    postgres_databases,
    rabbitmq_vhost,
    service_env,
)

SECONDS = 10
CONNECTIONS = 8
WORKERS = 3
THREADS = 1


def subscribe_lua(run: str) -> str:
    return f"""
threads_made = 0
function setup(thread)
  thread:set("tid", threads_made)
  threads_made = threads_made + 1
end
sent = 0
function request()
  sent = sent + 1
  local id = (tid or 0)
  local body = '{{"email":"{run}-' .. id .. '-' .. sent .. '@example.org","name":"Kuormitus Testaaja",'
    .. '"language":"fi","topics":["newsletter","events"]}}'
  local ip = "10." .. id .. "." .. (math.floor(sent / 250) % 250) .. "." .. (sent % 250)
  return wrk.format("POST", "/newsletter/api/v1/subscriptions",
    {{["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}}, body)
end
"""


def subscribe_body(run: str) -> Callable[[int, int], bytes]:
    """The same requests as `subscribe_lua`, for the Python client used when wrk is missing."""
    def body_for(thread: int, sent: int) -> bytes:
        return json.dumps({"email": f"{run}-{thread}-{sent}@example.org", "name": "Kuormitus Testaaja",
                           "language": "fi", "topics": ["newsletter", "events"]}).encode()
    return body_for


def subscribe_headers(thread: int, sent: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Forwarded-For": f"10.{thread}.{sent // 250 % 250}.{sent % 250}"}


def run() -> list[Figure]:
    """Subscribe API requests/s vs a bare endpoint on the same gunicorn (PostgreSQL + RabbitMQ, wrk)."""
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory() as directory, postgres_databases("subscribe") as urls, \
            rabbitmq_vhost("subscribe") as broker_url:
        env = service_env(urls, Path(directory), broker_url=broker_url, ELO_PROXY_HOPS="1")
        with Gunicorn('bench.common:with_bare_endpoint("subscriptions")', env, workers=WORKERS,
                      threads=THREADS) as server:
            bare = load(server.url + "/newsletter/bench/bare", seconds=SECONDS, connections=CONNECTIONS)
            run_id = "s" + secrets.token_hex(3)
            subscribe = load(server.url + "/newsletter/api/v1/subscriptions", seconds=SECONDS,
                             connections=CONNECTIONS, lua=subscribe_lua(run_id), method="POST",
                             body_for=subscribe_body(run_id), headers_for=subscribe_headers)
        engine = sa.create_engine(urls["subscriptions"])
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM outbox WHERE actor_name = "
                                                "'subscriptions.subscribe'")).scalar_one()
        engine.dispose()
    accepted = subscribe.requests - subscribe.bad_status
    if accepted < subscribe.requests * 0.99:
        raise RuntimeError(f"the subscribe API refused {subscribe.bad_status} of {subscribe.requests} requests")
    note = (f"{WORKERS} sync workers, {CONNECTIONS} connections, {SECONDS} s; {subscribe.bad_status} non-2xx, "
            f"{accepted} accepted, {stored} recorded; {subscribe.tool}")
    return [
        Figure("subscribe API throughput", subscribe.rps, "req/s", "bare endpoint, same gunicorn", bare.rps,
               note=note).target_ratio(0.25),
        Figure("subscribe API latency p95", subscribe.p95_ms, "ms", "bare endpoint p95", bare.p95_ms,
               higher_is_better=False,
               note=f"p50 {subscribe.p50_ms:.1f} ms vs {bare.p50_ms:.1f} ms").target_ratio(5),
    ]


if __name__ == "__main__":
    main(run)
