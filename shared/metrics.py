"""Prometheus metrics at `/<prefix>/metrics` on every service (prometheus-client).

- Requests: `elo_http_requests_total{service,route,method,status}` and the latency histogram
  `elo_http_request_duration_seconds{service,route,method}`; `route` is the Flask URL rule
  (`/confirm/<token>`), never the path, so link tokens stay out and the label set stays small.
  Under gunicorn with several workers each worker writes its counts to PROMETHEUS_MULTIPROC_DIR
  (set by `services/gunicorn_conf.py`) and a scrape sums them; without it (`elo up`, tests) they
  are kept in this process.
- From the database, computed once per scrape by the worker that answers it (never summed across
  workers): the outbox (`elo_outbox_pending`, `elo_outbox_unrelayed`, `elo_outbox_oldest_pending_age_seconds`),
  the jobs (`elo_jobs_due`, `elo_jobs_failed`, `elo_jobs_oldest_due_age_seconds`), and what each service
  adds with `register_database_metrics(app, collect)` (mail by status, registrations by status…).
  They are the network's of the request, named in a `network` label: `/<slug>/<prefix>/metrics` for each
  network of the deployment (`shared.networks`); the plain path is the default network's.
- Access: clients in ELO_METRICS_ALLOW (after the ELO_PROXY_HOPS trusted proxies), or with
  `Authorization: Bearer <ELO_METRICS_TOKEN>`; everyone else gets the 404 of a path that does not exist.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import QueryableAttribute, Session
from werkzeug.exceptions import NotFound

from shared.db import current_database, utcnow
from shared.models import Job, JobStatus, OutboxMessage
from shared.networks import current_slug
from shared.settings import Settings

DatabaseMetrics = Callable[[Session, str], Iterable[Metric]]
_COLLECTORS_KEY = "elo_database_metrics"

# Registered here only, not in prometheus-client's global registry: in multiprocess mode the scrape reads
# the workers' files instead, and in one process each service's scrape shows only its own samples.
_REQUEST_METRICS = CollectorRegistry()
REQUESTS = Counter("elo_http_requests", "HTTP requests answered, by URL rule and status",
                   ["service", "route", "method", "status"], registry=_REQUEST_METRICS)
LATENCY = Histogram("elo_http_request_duration_seconds", "Time to answer an HTTP request, by URL rule",
                    ["service", "route", "method"], registry=_REQUEST_METRICS,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))


def init_metrics(app: Flask) -> None:
    """Count `app`'s requests and serve `/metrics` under its prefix."""
    app.before_request(_start_timer)
    app.after_request(_count_request)
    app.extensions[_COLLECTORS_KEY] = [_platform_metrics]
    app.add_url_rule("/metrics", "metrics", _metrics_view)


def register_database_metrics(app: Flask, collect: DatabaseMetrics) -> None:
    """Add `collect(session, service)` to what `app`'s scrape reads from its database."""
    app.extensions[_COLLECTORS_KEY].append(collect)


def _start_timer() -> None:
    g.elo_metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.get("elo_metrics_started")
    if started is not None:
        service = str(current_app.config["SERVICE"])
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        REQUESTS.labels(service, route, request.method, str(response.status_code)).inc()
        LATENCY.labels(service, route, request.method).observe(time.perf_counter() - started)
    return response


# --- the scrape ------------------------------------------------------------------------------------------

def _metrics_view() -> Response:
    settings: Settings = current_app.config["ELO_SETTINGS"]
    if not may_read_metrics(settings, request.remote_addr, request.headers.get("Authorization")):
        raise NotFound  # the same answer as for a path that does not exist
    service = str(current_app.config["SERVICE"])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_OnlyService(_request_source(), service))
    registry.register(_Snapshot(_database_families(service)))
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def may_read_metrics(settings: Settings, remote_addr: str | None, authorization: str | None) -> bool:
    if settings.metrics_token and authorization is not None and hmac.compare_digest(
            authorization.encode(), f"Bearer {settings.metrics_token}".encode()):
        return True
    client = _address(remote_addr)
    return client is not None and any(client in network for network in settings.metrics_allow)


def _address(remote_addr: str | None) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(remote_addr or "")
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _request_source() -> Collector:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return MultiProcessCollector(None)  # type: ignore[no-untyped-call]  # every worker's counts, summed
    return _REQUEST_METRICS


class _OnlyService(Collector):
    """The samples of one service (the embedded run serves three from one process)."""

    def __init__(self, source: Collector, service: str) -> None:
        self.source = source
        self.service = service

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            kept.samples = [sample for sample in family.samples if sample.labels.get("service") == self.service]
            yield kept


class _Snapshot(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def _database_families(service: str) -> list[Metric]:
    up = GaugeMetricFamily("elo_metrics_database_up", "1 when the scrape could read the service's database",
                           labels=["service"])
    session = current_database().session()
    families: list[Metric] = []
    try:
        for collect in current_app.extensions[_COLLECTORS_KEY]:
            families.extend(collect(session, service))
        session.rollback()  # read only: end the transaction the queries opened
    except SQLAlchemyError:
        session.rollback()
        up.add_metric([service], 0)
        return [up]
    up.add_metric([service], 1)
    return [_with_network(family) for family in (up, *families)]


def _with_network(family: Metric) -> Metric:
    """The database's figures are the request's network's (`/<slug>/<prefix>/metrics`): say which."""
    network = current_slug() or current_app.config["ELO_SETTINGS"].network_slug
    family.samples = [sample._replace(labels={**sample.labels, "network": network}) for sample in family.samples]
    return family


def gauge(name: str, documentation: str, service: str, values: dict[str, float] | float,
          label: str | None = None) -> GaugeMetricFamily:
    """A gauge with a `service` label, and one more label (`label`) when `values` is a dict."""
    family = GaugeMetricFamily(name, documentation, labels=["service", label] if label else ["service"])
    if isinstance(values, dict):
        for key, value in values.items():
            family.add_metric([service, key], value)
    else:
        family.add_metric([service], values)
    return family


def counts_by(session: Session, column: QueryableAttribute[Any], names: Iterable[str]) -> dict[str, float]:
    """How many rows have each value of `column` (an enum column); every name in `names` is there (0 if none)."""
    found = {getattr(value, "value", value): count
             for value, count in session.execute(select(column, func.count()).group_by(column))}
    return {name: float(found.get(name, 0)) for name in names}


def _platform_metrics(session: Session, service: str) -> Iterator[Metric]:
    now = utcnow()
    unacknowledged = OutboxMessage.acknowledged_at.is_(None)
    pending = session.scalar(select(func.count(OutboxMessage.id)).where(unacknowledged)) or 0
    unrelayed = session.scalar(select(func.count(OutboxMessage.id))
                               .where(unacknowledged, OutboxMessage.relayed_at.is_(None))) or 0
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(unacknowledged))
    yield gauge("elo_outbox_pending", "Outbox messages not yet acknowledged by their consumer", service, pending)
    yield gauge("elo_outbox_unrelayed", "Outbox messages not yet taken by the broker", service, unrelayed)
    yield gauge("elo_outbox_oldest_pending_age_seconds", "Age of the oldest unacknowledged outbox message (0: none)",
                service, (now - oldest).total_seconds() if oldest else 0.0)
    due = (Job.status == JobStatus.PENDING) & (Job.due_at <= now)
    due_count = session.scalar(select(func.count(Job.id)).where(due)) or 0
    oldest_due = session.scalar(select(func.min(Job.due_at)).where(due))
    failed = session.scalar(select(func.count(Job.id)).where(Job.status == JobStatus.FAILED)) or 0
    yield gauge("elo_jobs_due", "Scheduled jobs due now and not yet run", service, due_count)
    yield gauge("elo_jobs_oldest_due_age_seconds", "How long the longest-waiting due job has been due (0: none)",
                service, (now - oldest_due).total_seconds() if oldest_due else 0.0)
    yield gauge("elo_jobs_failed", "Scheduled jobs that failed for good", service, failed)
