"""Registration rate through the public API on PostgreSQL + RabbitMQ under gunicorn, loaded with wrk
(or Python threads without it):
every request for ONE event (contended: each registration locks the same event row to count seats)
against the same load spread over MANY events (uncontended). Afterwards the stored registrations are
counted against the accepted answers, so a lost or doubled registration would show."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    Figure,
    Gunicorn,
    LoadResult,
    admin_token,
    load,
    main,
    postgres_databases,
    rabbitmq_vhost,
    service_env,
)

SECONDS = 10
CONNECTIONS = 8
WORKERS = 3
MANY = 50


def registration_lua(run: str, event_ids: list[int]) -> str:
    ids = ", ".join(str(i) for i in event_ids)
    return f"""
events = {{{ids}}}
threads_made = 0
function setup(thread)
  thread:set("tid", threads_made)
  threads_made = threads_made + 1
end
sent = 0
function request()
  sent = sent + 1
  local id = (tid or 0)
  local event = events[(sent % #events) + 1]
  local body = '{{"name":"Kuormitus Testaaja","email":"{run}-' .. id .. '-' .. sent .. '@example.org",'
    .. '"organisation":"Oulun kaupunki","participation":"onsite","language":"fi"}}'
  local ip = "10." .. id .. "." .. (math.floor(sent / 250) % 250) .. "." .. (sent % 250)
  return wrk.format("POST", "/events/api/v1/events/" .. event .. "/registrations",
    {{["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}}, body)
end
"""


def registration_body(run: str) -> Callable[[int, int], bytes]:
    """The Python-threads twin of `registration_lua`'s body."""
    def body_for(thread: int, sent: int) -> bytes:
        return json.dumps({"name": "Kuormitus Testaaja", "email": f"{run}-{thread}-{sent}@example.org",
                           "organisation": "Oulun kaupunki", "participation": "onsite", "language": "fi"}).encode()
    return body_for


def registration_path(event_ids: list[int]) -> Callable[[int, int], str]:
    def path_for(thread: int, sent: int) -> str:
        return f"/events/api/v1/events/{event_ids[sent % len(event_ids)]}/registrations"
    return path_for


def registration_headers(thread: int, sent: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Forwarded-For": f"10.{thread}.{sent // 250 % 250}.{sent % 250}"}


def event_body(n: int) -> dict[str, Any]:
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30 + n)
    return {"kind": "seminar", "mode": "onsite", "capacity": 100_000,
            "title": {"fi": f"Ohjauksen verkostopäivä {n + 1}", "sv": f"Nätverksdag för vägledning {n + 1}"},
            "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
            "address": "Oulun kaupungintalo, Torikatu 10, Oulu", "slug": f"kuormitus-{secrets.token_hex(3)}-{n}"}


def create_events(url: str, token: str, count: int) -> list[int]:
    import json
    import urllib.request

    ids = []
    for n in range(count):
        body = event_body(n)
        request = urllib.request.Request(  # noqa: S310 - loopback
            url + "/events/api/v1/events", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            ids.append(int(json.loads(response.read())["id"]))
    return ids


def stored_per_event(database_url: str) -> dict[int, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT event_id, count(*) FROM registrations GROUP BY event_id")).all()
    engine.dispose()
    return {int(event_id): int(count) for event_id, count in rows}


def run() -> list[Figure]:
    """Registrations/s for one event (contended) vs many events (uncontended), PostgreSQL + RabbitMQ, wrk."""
    with tempfile.TemporaryDirectory() as directory, postgres_databases("registrations") as urls, \
            rabbitmq_vhost("registrations") as broker_url:
        token = admin_token(urls, "organizer")
        env = service_env(urls, Path(directory), broker_url=broker_url, ELO_PROXY_HOPS="1",
                          ELO_REGISTRATIONS_PER_IP="100000000")
        with Gunicorn('bench.common:with_bare_endpoint("events")', env, workers=WORKERS) as server:
            one = create_events(server.url, token, 1)
            many = create_events(server.url, token, MANY)
            endpoint = server.url + "/events/api/v1/events"
            contended = _load(endpoint, "one" + secrets.token_hex(2), one)
            uncontended = _load(endpoint, "many" + secrets.token_hex(2), many)
        stored = stored_per_event(urls["events"])
    for load_result, events in ((contended, one), (uncontended, many)):
        accepted = load_result.requests - load_result.bad_status
        if sum(stored.get(i, 0) for i in events) != accepted:
            raise RuntimeError(f"{accepted} registrations accepted but {sum(stored.get(i, 0) for i in events)} stored")
    return [
        _figure("registration rate, one event (contended)", contended, "same load over 50 events (uncontended)",
                uncontended, sum(stored.get(i, 0) for i in one)),
        Figure("registration p95, one event", contended.p95_ms, "ms", "p95 over 50 events", uncontended.p95_ms,
               higher_is_better=False,
               note=f"p50 {contended.p50_ms:.1f} ms vs {uncontended.p50_ms:.1f} ms; "
                    f"{sum(stored.get(i, 0) for i in many)} stored over 50 events, "
                    f"{uncontended.requests - uncontended.bad_status} accepted"),
    ]


def _load(endpoint: str, run: str, event_ids: list[int]) -> LoadResult:
    return load(endpoint, seconds=SECONDS, connections=CONNECTIONS, lua=registration_lua(run, event_ids),
                method="POST", body_for=registration_body(run), headers_for=registration_headers,
                path_for=registration_path(event_ids))


def _figure(name: str, measured: LoadResult, baseline_name: str, baseline: LoadResult, stored: int) -> Figure:
    accepted = measured.requests - measured.bad_status
    extra: dict[str, Any] = {"accepted": accepted, "stored": stored, "non_2xx": measured.bad_status}
    return Figure(name, measured.rps, "reg/s", baseline_name, baseline.rps,
                  note=f"{WORKERS} sync workers, {CONNECTIONS} connections, {SECONDS} s each; "
                       f"{accepted} accepted, {stored} stored, {measured.bad_status} non-2xx; {measured.tool}",
                  extra=extra)


if __name__ == "__main__":
    main(run)
