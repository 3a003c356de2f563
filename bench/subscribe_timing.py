"""Subscribe API answer time for a new, a pending and a confirmed address in one run (medians and their
ratio): the answer is byte-identical, so its time must not tell the three apart either. One client
sends the three kinds in turn to one gunicorn worker, on SQLite and on PostgreSQL + RabbitMQ."""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import (
    SECRET_KEY,
    Figure,
    Gunicorn,
    main,
    postgres_databases,
    rabbitmq_vhost,
    service_env,
    sqlite_databases,
)

ROUNDS = 150  # requests of each kind
USES_PER_ADDRESS = 5  # under the per-address limit (10 an hour), so every answer is the 202
KINDS = ("new", "pending", "confirmed")
SPREAD = 1.2  # the largest of the three medians over the smallest


def _prepare(urls: dict[str, str], run: str) -> dict[str, list[str]]:
    """Pending and confirmed subscribers stored directly; addresses for each kind."""
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.models import Subscriber, SubscriberStatus
    from shared.db import utcnow
    from shared.privacy import email_hash

    count = ROUNDS // USES_PER_ADDRESS + 1
    addresses = {kind: [f"{run}-{kind}-{n}@example.org" for n in range(count)] for kind in ("pending", "confirmed")}
    db.configure(urls["subscriptions"])
    with db.transaction() as session:
        for kind, status in (("pending", SubscriberStatus.PENDING), ("confirmed", SubscriberStatus.CONFIRMED)):
            for address in addresses[kind]:
                subscriber = Subscriber(email=address, email_hash=email_hash(SECRET_KEY, address), name="Testi",
                                        language="fi", status=status, source="api",
                                        confirmed_at=utcnow() if status == SubscriberStatus.CONFIRMED else None)
                subscriber.set_topics(["newsletter"])
                session.add(subscriber)
    db.dispose()
    addresses["new"] = [f"{run}-new-{n}@example.org" for n in range(ROUNDS)]
    return addresses


def _requests(addresses: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    for n in range(ROUNDS):
        for kind in KINDS:
            pool = addresses[kind]
            yield kind, pool[n if kind == "new" else n // USES_PER_ADDRESS]


def _measure(url: str, addresses: dict[str, list[str]]) -> tuple[dict[str, list[float]], set[bytes]]:
    host, port = url.removeprefix("http://").split(":")
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    answers: set[bytes] = set()
    for n, (kind, address) in enumerate(_requests(addresses)):
        body = json.dumps({"email": address, "name": "Testi", "language": "fi", "topics": ["newsletter"]})
        headers = {"Content-Type": "application/json", "X-Forwarded-For": f"10.9.{n // 250 % 250}.{n % 250}"}
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.connect()
        started = time.perf_counter()
        connection.request("POST", "/newsletter/api/v1/subscriptions", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != 202:
            raise RuntimeError(f"{kind} address answered {response.status}: {answer[:200]!r}")
        answers.add(answer)
        times[kind].append(elapsed * 1000)
    return times, answers


def _figures(backend: str, times: dict[str, list[float]], answers: set[bytes]) -> list[Figure]:
    medians = {kind: statistics.median(values[10:]) for kind, values in times.items()}  # the first are warm-up
    spread = max(medians.values()) / min(medians.values())
    note = (f"{backend}; medians new {medians['new']:.2f} ms, pending {medians['pending']:.2f} ms, confirmed "
            f"{medians['confirmed']:.2f} ms; max/min {spread:.3f}; {len(answers)} distinct answer body")
    figures = [Figure(f"subscribe answer, new vs confirmed address ({backend})", medians["new"], "ms",
                      "confirmed address, same run", medians["confirmed"], higher_is_better=False, note=note),
               Figure(f"subscribe answer, pending vs confirmed address ({backend})", medians["pending"], "ms",
                      "confirmed address, same run", medians["confirmed"], higher_is_better=False,
                      note=f"{backend}; the three medians must differ by less than 20 %")]
    for figure in figures:  # the time must not tell the kinds apart, in either direction
        figure.target, figure.met = "0.83x to 1.2x (max/min of the three medians < 1.2)", spread < SPREAD
    return figures


def _run_on(backend: str, urls: dict[str, str], directory: Path, broker_url: str | None) -> list[Figure]:
    run_id = "t" + secrets.token_hex(3)
    addresses = _prepare(urls, run_id)
    env = service_env(urls, directory, broker_url=broker_url, ELO_PROXY_HOPS="1")
    with Gunicorn('bench.common:with_bare_endpoint("subscriptions")', env, workers=1) as server:
        times, answers = _measure(server.url, addresses)
    if len(answers) != 1:
        raise RuntimeError(f"the answers differ: {answers}")
    return _figures(backend, times, answers)


def run() -> list[Figure]:
    """Subscribe API answer time (median) for a new, a pending and a confirmed address, SQLite and PostgreSQL."""
    figures = []
    with tempfile.TemporaryDirectory() as directory, sqlite_databases(Path(directory)) as urls:
        figures += _run_on("SQLite", urls, Path(directory), None)
    with tempfile.TemporaryDirectory() as directory, postgres_databases("timing") as urls, \
            rabbitmq_vhost("timing") as broker_url:
        figures += _run_on("PostgreSQL", urls, Path(directory), broker_url)
    return figures


if __name__ == "__main__":
    main(run)
