"""The production shape (#2, acceptance 9): each service under gunicorn on PostgreSQL + RabbitMQ,
a separate worker and a separate scheduler; health checks and a message round trip across them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from services import SERVICES
from shared.db import utcnow
from shared.models import OutboxMessage
from shared.outbox import ack_target, enqueue
from tests.conftest import Backend
from tests.reliability.conftest import REPO, Processes, request_json

SUBSCRIPTIONS_DB = SERVICES[0].module().db
MAILER_ACK = ack_target("mailer")  # an actor every worker has; the payload acknowledges nothing itself


def outbox_counts(processes: Processes, token: str) -> dict[str, int]:
    status, body = request_json("GET", processes.url("subscriptions") + "/newsletter/api/v1/ops/outbox",
                                headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body
    return dict(body)


def wait_until_acknowledged(processes: Processes, token: str, count: int, timeout: float = 45.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    counts = outbox_counts(processes, token)
    while counts["acknowledged"] < count and time.monotonic() < deadline:
        time.sleep(0.2)
        counts = outbox_counts(processes, token)
    return counts


def test_services_worker_and_scheduler_as_separate_processes(processes: Processes, backend: Backend,
                                                             apps: Any) -> None:
    # A message written before anything runs and never relayed: only the scheduler's sweeper can send it.
    with SUBSCRIPTIONS_DB.transaction() as session:
        session.add(OutboxMessage(actor_name=MAILER_ACK.actor, queue_name=MAILER_ACK.queue, payload=[],
                                  created_at=utcnow() - dt.timedelta(minutes=1)))

    started = processes.start_all(web_workers=1, web_threads=4)  # threaded, as in compose.yaml
    started["landing"] = processes.start_web("landing", workers=1)

    for info in SERVICES:
        status, body = request_json("GET", f"{processes.url(info.name)}{info.prefix}/healthz")
        assert (status, body) == (200, {"status": "ok", "service": info.name, "database": "ok", "broker": "ok"})
    assert request_json("GET", processes.url("landing") + "/")[0] == 200

    token = processes.run_cli("create-token", "--role", "coordinator").stdout.strip().splitlines()[-1]
    assert request_json("GET", processes.url("events") + "/events/api/v1/ops/outbox")[0] == 401

    # Swept by the scheduler process, run by the worker process in the mailer's app, acknowledged
    # back to the subscriptions database, read through the subscriptions gunicorn.
    assert wait_until_acknowledged(processes, token, 1)["acknowledged"] == 1

    # Written and relayed by this process after commit; the worker dies and comes back meanwhile.
    started["worker"].kill()
    with SUBSCRIPTIONS_DB.transaction() as session:
        enqueue(session, MAILER_ACK, [])  # type: ignore[arg-type]
    started["worker"].restart()
    counts = wait_until_acknowledged(processes, token, 2)
    assert counts | {"jobs_due": 0, "jobs_failed": 0} == {"pending": 0, "relayed": 0, "acknowledged": 2,
                                                            "jobs_due": 0, "jobs_failed": 0}

    # SIGTERM stops each process cleanly.
    assert processes.stop_all() == dict.fromkeys(started, 0), processes.logs()


@pytest.mark.parametrize("command", [["worker"], ["scheduler", "--interval", "0.5"]])
def test_worker_and_scheduler_refuse_to_start_without_a_mail_relay(tmp_path: Path, command: list[str]) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ELO_")}
    env |= {"ELO_DATA_DIR": str(tmp_path), "ELO_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/"}
    done = subprocess.run([sys.executable, "-m", "services.cli", *command], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "elo: setting ELO_SMTP_URL: not set; production processes need an SMTP server "
        "(set ELO_CAPTURE_MAIL=1 to keep mail in the outbox instead)"]


def nginx_config_for(processes: Processes, directory: Path, port: int) -> Path:
    """deploy/nginx.conf with the compose host names pointed at this test's processes."""
    text = (REPO / "deploy" / "nginx.conf").read_text()
    for name in ("landing", *(info.name for info in SERVICES)):
        text = text.replace(f"server {name}:8000;", f"server 127.0.0.1:{processes.ports[name]};")
    # the test holds the port (`reserved_port`); nginx binds it beside that socket with SO_REUSEPORT
    text = text.replace("listen 80 default_server;", f"listen 127.0.0.1:{port} reuseport default_server;")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {directory}/nginx.pid;")
    assert f"127.0.0.1:{port}" in text
    assert ":8000" not in text
    config = directory / "nginx.conf"
    config.write_text(text)
    return config


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - local test server
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def test_nginx_routes_the_url_space_to_the_processes(processes: Processes, tmp_path: Path) -> None:
    nginx = shutil.which("nginx")
    if nginx is None:
        pytest.skip("nginx is not installed here (apt-get install nginx-light); compose.yaml runs it in a container")
    processes.env["ELO_PROXY_HOPS"] = "1"
    for name in ("landing", *(info.name for info in SERVICES)):
        processes.start_web(name, workers=1, wait=False)
    for proc in processes.started:
        proc.wait_ready()
    port = processes.hold_port()
    config = nginx_config_for(processes, tmp_path, port)
    with (tmp_path / "nginx.log").open("wb") as log:
        server = subprocess.Popen([nginx, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off;"],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        front = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while request_json("GET", front + "/events/healthz")[0] != 200 and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "nginx.log").read_text()
            time.sleep(0.1)

        for info in SERVICES:
            assert request_json("GET", f"{front}{info.prefix}/healthz")[1]["service"] == info.name
        status, headers, body = get(front + "/?lang=fi")
        assert status == 200
        assert b"<html" in body.lower()
        status, headers, _ = get(front + "/events")
        assert (status, headers["Location"]) == (301, "/events/")

        status, headers, _ = get(front + "/events/api/openapi.json", {"Accept-Encoding": "gzip"})
        assert (status, headers.get("Content-Encoding")) == (200, "gzip")

        too_big = urllib.request.Request(front + "/events/api/v1/events", data=b"x" * (18 * 1024 * 1024),  # noqa: S310
                                         method="POST", headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(too_big, timeout=30)  # noqa: S310
        assert refused.value.code == 413
    finally:
        server.terminate()
        server.wait(timeout=10)
