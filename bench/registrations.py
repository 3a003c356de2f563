"""Registration rate through the public API on PostgreSQL + RabbitMQ under gunicorn, loaded with wrk
(or Python threads without it):
every request for ONE event (contended: each registration locks the same event row to count seats)
against the same load spread over MANY events (uncontended). Afterwards the stored registrations are
counted against the accepted answers, so a lost or doubled registration would show, and one event of
CAPACITY seats loaded the same way must end with exactly CAPACITY seats taken (the rest waiting).
Target (issue #19): one event >= 150 reg/s and >= 0.8x the same load over 50 events."""

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
CAPACITY = 50  # the capacity check: this many seats
CAPACITY_SECONDS = 2


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


def create_events(url: str, token: str, count: int, *, capacity: int = 100_000) -> list[int]:
    import urllib.request

    ids = []
    for n in range(count):
        body = event_body(n) | {"capacity": capacity}
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
    """Registrations/s for one event (contended) vs many events (uncontended), PostgreSQL + RabbitMQ, wrk;
    then one event of CAPACITY seats under the same load must end with exactly CAPACITY seats taken."""
    with tempfile.TemporaryDirectory() as directory, postgres_databases("registrations") as urls, \
            rabbitmq_vhost("registrations") as broker_url:
        token = admin_token(urls, "organizer")
        env = service_env(urls, Path(directory), broker_url=broker_url, ELO_PROXY_HOPS="1",
                          ELO_REGISTRATIONS_PER_IP="100000000")
        with Gunicorn('bench.common:with_bare_endpoint("events")', env, workers=WORKERS) as server:
            one = create_events(server.url, token, 1)
            many = create_events(server.url, token, MANY)
            limited = create_events(server.url, token, 1, capacity=CAPACITY)
            warm = create_events(server.url, token, 3)
            endpoint = server.url + "/events/api/v1/events"
            _load(endpoint, "warm" + secrets.token_hex(2), warm, seconds=1)  # every worker's imports and connections
            contended = _load(endpoint, "one" + secrets.token_hex(2), one)
            uncontended = _load(endpoint, "many" + secrets.token_hex(2), many)
            for _round in range(5):  # until more have registered than there are seats
                full = _load(endpoint, "full" + secrets.token_hex(2), limited, seconds=CAPACITY_SECONDS)
                if full.requests > CAPACITY + CONNECTIONS:
                    break
        stored = stored_per_event(urls["events"])
        statuses = statuses_of(urls["events"], limited[0])
    for load_result, events in ((contended, one), (uncontended, many)):
        _check_stored(load_result, sum(stored.get(i, 0) for i in events))
    seated, total = statuses.get("pending", 0) + statuses.get("confirmed", 0), sum(statuses.values())
    if seated != CAPACITY or total <= CAPACITY or statuses.get("waitlisted", 0) != total - CAPACITY:
        raise RuntimeError(f"capacity {CAPACITY}, but the registrations ended as {statuses}")
    capacity_note = (f"capacity check: {total} registrations for {CAPACITY} seats under the same "
                     f"load, exactly {seated} hold a seat and {statuses.get('waitlisted', 0)} wait")
    return [
        _figure("registration rate, one event (contended)", contended, "same load over 50 events (uncontended)",
                uncontended, stored=sum(stored.get(i, 0) for i in one), capacity_note=capacity_note)
        .target_value_and_ratio(150, 0.8),
        Figure("registration p95, one event", contended.p95_ms, "ms", "p95 over 50 events", uncontended.p95_ms,
               higher_is_better=False,
               note=f"p50 {contended.p50_ms:.1f} ms vs {uncontended.p50_ms:.1f} ms; "
                    f"{sum(stored.get(i, 0) for i in many)} stored over 50 events, "
                    f"{uncontended.requests - uncontended.bad_status} accepted"),
    ]


def statuses_of(database_url: str, event_id: int) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT status, count(*) FROM registrations WHERE event_id = :event "
                                          "GROUP BY status"), {"event": event_id}).all()
    engine.dispose()
    return {str(status).lower(): int(count) for status, count in rows}


def _check_stored(measured: LoadResult, stored: int) -> None:
    """Every accepted registration is stored once. wrk stops with up to one request per connection in
    flight: the server stores those, but they were never counted as answered."""
    accepted = measured.requests - measured.bad_status
    if not accepted <= stored <= accepted + CONNECTIONS + measured.errors:
        raise RuntimeError(f"{accepted} registrations accepted but {stored} stored")


def _load(endpoint: str, run: str, event_ids: list[int], seconds: float = SECONDS) -> LoadResult:
    return load(endpoint, seconds=seconds, connections=CONNECTIONS, lua=registration_lua(run, event_ids),
                method="POST", body_for=registration_body(run), headers_for=registration_headers,
                path_for=registration_path(event_ids))


def _figure(name: str, measured: LoadResult, baseline_name: str, baseline: LoadResult, *, stored: int,
            capacity_note: str) -> Figure:
    accepted = measured.requests - measured.bad_status
    extra: dict[str, Any] = {"accepted": accepted, "stored": stored, "non_2xx": measured.bad_status}
    return Figure(name, measured.rps, "reg/s", baseline_name, baseline.rps,
                  note=f"{WORKERS} sync workers, {CONNECTIONS} connections, {SECONDS} s each; "
                       f"{accepted} accepted, {stored} stored, {measured.bad_status} non-2xx; {measured.tool}; "
                       f"{capacity_note}",
                  extra=extra)


if __name__ == "__main__":
    main(run)
