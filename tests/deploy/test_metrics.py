"""Metrics under a real gunicorn with two workers (`--config python:services.gunicorn_conf`): the request
counts of both workers add up, also after a worker dies; database figures are read once per scrape,
not once per worker; log lines are JSON with the request id."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from services.events.models import db as events_db
from shared.db import utcnow
from shared.models import OutboxMessage
from tests.reliability.conftest import Processes, SmtpSinkProcess, request_json

GUNICORN_CONF = ("--config", "python:services.gunicorn_conf")
HEALTHZ = 'elo_http_requests_total{method="GET",route="/healthz",service="events",status="200"}'


def scrape(base: str) -> str:
    with urllib.request.urlopen(base + "/events/metrics", timeout=10) as response:  # noqa: S310 - local test server
        assert response.status == 200
        return str(response.read().decode())


def value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def worker_pids(directory: Path) -> set[int]:
    """The gunicorn workers that counted something (prometheus-client writes one file per process)."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in directory.glob("counter_*.db")}


def children(parent: int | None) -> set[int]:
    """The live processes whose parent is `parent` (gunicorn's workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found


def hit_healthz(base: str, times: int) -> None:
    with ThreadPoolExecutor(8) as pool:  # concurrent, so both sync workers take some
        statuses = list(pool.map(lambda _: request_json("GET", base + "/events/healthz", timeout=30)[0], range(times)))
    assert statuses == [200] * times


def test_counts_of_two_workers_add_up(processes: Processes, smtp_sink_process: SmtpSinkProcess, apps: Any,
                                      tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    processes.env["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    events = processes.start_web("events", workers=2, extra_args=GUNICORN_CONF)
    assert events.url is not None
    with events_db.transaction() as session:
        session.add(OutboxMessage(actor_name="mailer.send_email", queue_name="mailer", payload={},
                                  created_at=utcnow() - dt.timedelta(minutes=10)))

    before = value(scrape(events.url), HEALTHZ)
    hit_healthz(events.url, 60)
    text = scrape(events.url)
    assert value(text, HEALTHZ) - before == 60
    assert len(worker_pids(directory)) == 2, "both workers should have answered some of the requests"
    # once per scrape, not once per worker
    assert value(text, 'elo_outbox_pending{network="pohjois-pohjanmaa",service="events"}') == 1
    assert value(text, 'elo_outbox_oldest_pending_age_seconds{network="pohjois-pohjanmaa",service="events"}') >= 600

    # A worker dies; gunicorn starts another. What the dead one counted still counts.
    victim = min(worker_pids(directory))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while (victim in children(events.pid) or len(children(events.pid)) < 2) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(children(events.pid)) == 2, "gunicorn did not start a worker in place of the dead one"
    after_death = value(scrape(events.url), HEALTHZ)
    assert after_death >= before + 60
    hit_healthz(events.url, 20)
    assert value(scrape(events.url), HEALTHZ) - after_death == 20

    status, _ = request_json("GET", events.url + "/events/healthz", headers={"X-Request-ID": "deploy-metrics-1"})
    assert status == 200
    deadline = time.monotonic() + 10
    while "deploy-metrics-1" not in events.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    logged = [json.loads(line) for line in events.log().splitlines() if '"deploy-metrics-1"' in line]
    assert {line["service"] for line in logged} == {"events"}
    assert [line["message"].split(" ms")[0].rsplit(" ", 1)[0] for line in logged
            if line["logger"] == "elo.request"] == ["GET /events/healthz 200"]


def test_gunicorn_makes_and_removes_its_own_metrics_directory(processes: Processes,
                                                              smtp_sink_process: SmtpSinkProcess, apps: Any) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    processes.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    events = processes.start_web("events", workers=2, extra_args=GUNICORN_CONF)
    assert events.url is not None
    hit_healthz(events.url, 10)
    workers = children(events.pid)
    made = [path for path in Path(tempfile.gettempdir()).glob("elo-prometheus-*") if worker_pids(path) & workers]
    assert len(made) == 1, made
    assert value(scrape(events.url), HEALTHZ) >= 10
    assert events.stop() == 0
    assert not made[0].exists()


def test_prometheus_scrapes_every_service_and_the_alerts_use_metrics_that_exist() -> None:
    import yaml

    from services import SERVICES
    from tests.reliability.conftest import REPO

    directory = REPO / "deploy" / "prometheus"
    config = yaml.safe_load((directory / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {name: (job["metrics_path"], job["dns_sd_configs"][0]["names"], job["dns_sd_configs"][0]["port"])
            for name, job in jobs.items()} == {
        f"elo-{info.name}": (f"{info.prefix}/metrics", [info.name], 8000) for info in SERVICES}

    rules = [rule for group in yaml.safe_load((directory / "alerts.yml").read_text())["groups"]
             for rule in group["rules"]]
    assert {"OutboxGrowing", "WorkerDown", "SMTPFailing", "SchedulerDown"} <= {rule["alert"] for rule in rules}
    assert all(rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"]
               for rule in rules)
    sources = "".join(path.read_text() for path in [REPO / "shared" / "metrics.py",
                                                    *REPO.glob("services/*/metrics.py")])
    exposed = set(re.findall(r'"(elo_[a-z_]+)"', sources))
    exposed |= {f"{name}_total" for name in exposed} | {f"{name}_bucket" for name in exposed}
    used = {name for rule in rules for name in re.findall(r"\b(elo_[a-z_]+)", rule["expr"])}
    assert used, "the rules read no elo_ metric"
    assert used <= exposed, used - exposed
    for rule in rules:  # balanced brackets: a cheap stand-in for promtool, which is not installed here
        expression = rule["expr"]
        assert all(expression.count(opening) == expression.count(closing) for opening, closing in ("()", "[]", "{}"))


def test_the_request_id_reaches_the_log_of_a_separate_worker(processes: Processes, smtp_sink_process: SmtpSinkProcess,
                                                              apps: Any) -> None:
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    subscriptions = processes.start_web("subscriptions", workers=1, extra_args=GUNICORN_CONF)
    worker = processes.start_worker(processes=1, threads=2, env={"ELO_LOG_LEVEL": "DEBUG"})
    assert subscriptions.url is not None
    status, _ = request_json("POST", subscriptions.url + "/newsletter/api/v1/subscriptions",
                             {"email": "jsonlog@example.org", "language": "fi", "topics": ["newsletter"]},
                             headers={"X-Request-ID": "deploy-worker-1"})
    assert status == 202
    assert smtp_sink_process.wait_for(1, timeout=60), "the confirmation email did not arrive"
    lines = [json.loads(line[line.index("{"):]) for line in worker.log().splitlines()
             if '"deploy-worker-1"' in line]
    assert any(line["logger"].endswith("mailer.send_email") and line["service"] == "mailer" for line in lines), lines
    assert "jsonlog@example.org" not in worker.log()
