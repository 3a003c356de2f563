"""The deployment tests use the reliability harness (separate processes on PostgreSQL + RabbitMQ).

Helpers for running what deploy/ describes:
- `compose_gunicorn_options(service)`: the gunicorn options of that service's command in compose.yaml
  (`${VAR:-default}` filled with its default), without `--bind` and the app, for `Processes.start_web`.
- `running_nginx(processes, directory)`: a real nginx with deploy/nginx.conf, upstreams pointed at
  `processes`' ports; yields its URL (and its log path as `.log`) and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_processes import nginx_config_for
from tests.reliability.conftest import (
    REPO,
    Processes,
    backend,
    keep_postgres_only,
    processes,
    pytest_runtest_makereport,
    request_json,
    smtp_sink_process,
)

__all__ = ["backend", "processes", "pytest_runtest_makereport", "smtp_sink_process"]

COMPOSE = REPO / "deploy" / "compose.yaml"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep_postgres_only(config, items, Path(__file__).resolve().parent)


def compose_gunicorn_options(service: str) -> tuple[str, ...]:
    """What compose.yaml runs for `service` after `gunicorn`, minus `--bind <address>` and the app."""
    command: list[Any] = yaml.safe_load(COMPOSE.read_text())["services"][service]["command"]
    argv = [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(part)) for part in command]
    assert argv[0] == "gunicorn", argv
    assert argv[-1] == f'services.wsgi:create("{service}")', argv
    options = argv[1:-1]
    bind = options.index("--bind")
    return (*options[:bind], *options[bind + 2:])


@dataclass(frozen=True)
class Nginx:
    url: str
    port: int
    log: Path


@contextlib.contextmanager
def running_nginx(processes: Processes, directory: Path) -> Iterator[Nginx]:
    """nginx with deploy/nginx.conf in front of `processes` (skips when nginx is not installed)."""
    binary = shutil.which("nginx")
    if binary is None:
        pytest.skip("nginx is not installed here (apt-get install nginx-light); compose.yaml runs it in a container")
    port = processes.hold_port()
    config = nginx_config_for(processes, directory, port)
    log = directory / "nginx.log"
    with log.open("wb") as output:
        server = subprocess.Popen([binary, "-c", str(config), "-p", str(directory), "-g", "daemon off;"],
                                  stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    front = Nginx(f"http://127.0.0.1:{port}", port, log)
    try:
        deadline = time.monotonic() + 20
        while request_json("GET", front.url + "/events/healthz")[0] != 200 and time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            time.sleep(0.1)
        yield front
    finally:
        server.terminate()
        server.wait(timeout=10)
