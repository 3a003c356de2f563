"""Reliability harness: the system as separate processes on PostgreSQL + RabbitMQ.

Tests here run only on the postgres backend (the sqlite variants are deselected). Each test
session gets its own RabbitMQ virtual host (made with `rabbitmqctl` when it is available), so
other test sessions running at the same time never share our queues; queues are purged before
each test and tables are emptied (the `apps` fixture), so every test starts clean.

    def test_worker_dies(processes, smtp_sink_process, apps, admin_headers):
        processes.env["ELO_SMTP_URL"] = smtp_sink_process.url   # before starting what sends mail
        processes.env["ELO_MAIL_RATE"] = "20"
        events = processes.start_web("events", workers=2)       # gunicorn, waits for /events/healthz
        worker = processes.start_worker(processes=1, threads=4)  # `elo worker`, waits until ready
        processes.start_scheduler()                               # `elo scheduler --interval 0.5`
        status, body = request_json("POST", events.url + "/events/api/v1/…", {...},
                                    headers=admin_headers("organizer"))
        worker.kill()                                             # SIGKILL to its process group
        worker.restart()                                          # same command, same env
        smtp_sink_process.stop(); time.sleep(30); smtp_sink_process.start()   # relay down 30 s
        smtp_sink_process.wait_for(10)                            # 10 messages arrived
        assert smtp_sink_process.counts()["a@example.org"] == 1   # per recipient, never twice

- Processes get ELO_CAPTURE_MAIL=1 (production processes refuse to start with neither it nor
  ELO_SMTP_URL); set `processes.env["ELO_SMTP_URL"]` to send to a sink instead.
- `processes` (function scope): `start_web(service, workers=2, threads=1)` (service: subscriptions,
  events, mailer or landing), `start_worker(processes=1, threads=4)`, `start_scheduler(interval=0.5)`,
  `start_all()` (the three services + worker + scheduler, started in parallel), `run_cli(*args)`
  (`python -m services.cli …` against the same databases, e.g. `create-token --role coordinator`),
  `.env` (ELO_* for every process started afterwards; pass `env={...}` to one start for that
  process only), `.url(service)` (http://127.0.0.1:<port>, fixed per service for the whole test,
  so a restart comes back on the same port: the test holds it with a bound SO_REUSEPORT socket and
  gunicorn binds it with --reuse-port), `.broker_url`. Every process sees
  ELO_<SERVICE>_URL of the three web services, so internal calls go over HTTP as in production.
- `Proc`: `.url`, `.pid`, `.alive`, `.kill()` (SIGKILL, whole process group: gunicorn's and
  dramatiq's children die too), `.stop()` (SIGTERM to the main process, wait, returns the exit
  code; `.terminate()` + `.wait_stopped()` in two steps), `.restart()`, `.signal(sig)`, `.log()`
  (output of every run of this process). `processes.stop_all()` stops every process together.
- Everything is torn down at the end of the test, also on failure; when a test fails, the log of
  every process it started is attached to the report.
- `smtp_sink_process`: a real SMTP server in another process (tests/reliability/smtp_sink.py):
  `.url`, `.start(reply=None)` (reply e.g. "451 4.3.0 Try later" refuses every message),
  `.stop()`, `.kill()`, `.messages()`, `.to(address)`, `.counts()` (Counter by recipient),
  `.wait_for(n, timeout=60)`, `.clear()`. It keeps its port across stop/start.
- `request_json(method, url, body=None, headers=None, timeout=10)` → (status, parsed JSON or None).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from services import SERVICES
from tests.conftest import Backend, reserved_port

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PREFIXES = {info.name: info.prefix for info in SERVICES}
VHOST_PREFIX = "elo_test_"


# --- only postgres --------------------------------------------------------------------------------

def keep_postgres_only(config: pytest.Config, items: list[pytest.Item], directory: Path) -> None:
    """Deselect the sqlite variants of the tests under `directory`: processes need real servers."""
    deselected = [item for item in items
                  if Path(str(item.path)).is_relative_to(directory)
                  and getattr(item, "callspec", None) is not None
                  and item.callspec.params.get("backend") == "sqlite"]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep_postgres_only(config, items, HERE)


# --- a private RabbitMQ virtual host per test session ----------------------------------------------

@contextlib.contextmanager
def private_vhost(broker_url: str) -> Iterator[str]:
    """The broker URL on a new virtual host (deleted afterwards), or `broker_url` itself when the
    broker is not local or rabbitmqctl is not usable here (then queues are shared with other
    sessions, purged per test)."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    local = urllib.parse.urlsplit(broker_url).hostname in ("127.0.0.1", "localhost", "::1")
    if rabbitmqctl is None or not local or not _ctl(rabbitmqctl, "list_vhosts"):
        yield broker_url
        return
    _forget_dead_vhosts(rabbitmqctl)
    vhost = f"{VHOST_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
    user = urllib.parse.urlsplit(broker_url).username or "guest"
    if not (_ctl(rabbitmqctl, "add_vhost", vhost)
            and _ctl(rabbitmqctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*")):
        yield broker_url
        return
    parts = urllib.parse.urlsplit(broker_url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(vhost, safe="")))
    finally:
        _ctl(rabbitmqctl, "delete_vhost", vhost)


def _ctl(rabbitmqctl: str, *args: str) -> str | None:
    try:
        done = subprocess.run([rabbitmqctl, "-q", *args], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout or "ok") if done.returncode == 0 else None


def _forget_dead_vhosts(rabbitmqctl: str) -> None:
    """Virtual hosts left behind by test sessions that were killed."""
    listing = _ctl(rabbitmqctl, "list_vhosts", "name") or ""
    for name in listing.split():
        pid = name.removeprefix(VHOST_PREFIX).split("_")[0]
        if name.startswith(VHOST_PREFIX) and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _ctl(rabbitmqctl, "delete_vhost", name)


@pytest.fixture(scope="session")
def backend(backend: Backend) -> Iterator[Backend]:
    """The root `backend`, with the broker on this session's own RabbitMQ virtual host."""
    if not backend.is_postgres or backend.broker_url is None:
        yield backend
        return
    with private_vhost(backend.broker_url) as url:
        yield dataclasses.replace(backend, broker_url=url)


# --- processes ------------------------------------------------------------------------------------

class ProcessFailed(Exception):
    """A process did not become ready, or died while starting."""


@dataclasses.dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    url: str | None = None
    health_path: str | None = None
    ready_line: str | None = None
    ready_count: int = 1
    popen: subprocess.Popen[bytes] | None = None
    _log_start: int = 0

    # lifecycle

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> Proc:
        if self.alive:
            raise ProcessFailed(f"{self.name} is already running (pid {self.pid})")
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.name}: {' '.join(self.argv)}\n".encode())
            self._log_start = log.tell()
            self.popen = subprocess.Popen(self.argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> Proc:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise ProcessFailed(f"{self.name} exited with {self.returncode} while starting:\n{self.tail()}")
            if self._ready():
                return self
            time.sleep(0.1)
        raise ProcessFailed(f"{self.name} was not ready within {timeout:.0f} s:\n{self.tail()}")

    def _ready(self) -> bool:
        if self.health_path is not None and self.url is not None:
            status, _ = request_json("GET", self.url + self.health_path, timeout=2)
            return status == 200
        if self.ready_line is not None:
            return self.log()[self._log_start:].count(self.ready_line) >= self.ready_count
        return True

    def signal(self, sig: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL the process and every child it started (a machine or container dying)."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (graceful shutdown), wait; SIGKILL what is left. Returns the main process's exit code."""
        self.terminate()
        return self.wait_stopped(timeout)

    def terminate(self) -> None:
        """Send SIGTERM and return at once (stop several processes together, then `wait_stopped`)."""
        self.signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 30.0) -> int | None:
        """Wait for the main process to exit (SIGKILL after `timeout`); returns its exit code."""
        if self.popen is None:
            return None
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # children that outlived their parent
        return self.popen.returncode

    def restart(self, *, wait: bool = True, timeout: float = 60.0) -> Proc:
        if self.alive:
            self.stop()
        return self.start(wait=wait, timeout=timeout)

    # state

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


class Processes:
    """Starts the system's processes against one backend; see the module docstring."""

    def __init__(self, backend: Backend, directory: Path) -> None:
        self.backend = backend
        self.directory = directory
        # Each service's port is held for the whole test (see `reserved_port`): gunicorn binds it with
        # --reuse-port, and a restart comes back on it while no other process can take it in between.
        self._ports = contextlib.ExitStack()
        self.ports = {name: self._ports.enter_context(reserved_port()) for name in ["landing", *PREFIXES]}
        self.started: list[Proc] = []
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("ELO_")}
        self.env: dict[str, str] = {
            **inherited,
            **backend.env(**{f"ELO_{name.upper()}_URL": self.url(name) for name in PREFIXES}),
            "PYTHONUNBUFFERED": "1",
            "ELO_LOG_LEVEL": "INFO",
            # Every simulated client comes from 127.0.0.1: the per-client registration limit would stop them.
            "ELO_REGISTRATIONS_PER_IP": "100000",
            # Production processes refuse to start without a relay; a test that reads mail sets ELO_SMTP_URL
            # (smtp_sink_process), the others keep it in the mailer's database.
            "ELO_CAPTURE_MAIL": "1",
        }

    @property
    def broker_url(self) -> str | None:
        return self.backend.broker_url

    def hold_port(self) -> int:
        """One more port held until the end of the test, for a server that binds it with SO_REUSEPORT."""
        return self._ports.enter_context(reserved_port())

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def _proc(self, name: str, argv: list[str], env: dict[str, str] | None, **readiness: Any) -> Proc:
        taken = sum(1 for proc in self.started if proc.name.split("#")[0] == name)
        label = f"{name}#{taken + 1}" if taken else name
        proc = Proc(label, argv, {**self.env, **(env or {})}, self.directory / f"{label}.log", **readiness)
        self.started.append(proc)
        return proc

    def start_web(self, service: str, workers: int = 2, *, threads: int = 1, env: dict[str, str] | None = None,
                  wait: bool = True, extra_args: tuple[str, ...] = ()) -> Proc:
        """`gunicorn 'services.wsgi:create("<service>")'` on this service's port; waits for its health check.

        `threads` > 1 runs gunicorn's threaded workers, as deploy/compose.yaml does (ELO_WEB_THREADS)."""
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.ports[service]}", "--reuse-port",
                "--workers", str(workers), "--threads", str(threads), "--graceful-timeout", "10", "--timeout", "60",
                "--access-logfile", "-", "--no-control-socket", *extra_args, f'services.wsgi:create("{service}")']
        health = "/" if service == "landing" else f"{PREFIXES[service]}/healthz"
        proc = self._proc(service, argv, env, url=self.url(service), health_path=health)
        return proc.start(wait=wait)

    def start_worker(self, processes: int = 1, threads: int = 4, *, env: dict[str, str] | None = None,
                     wait: bool = True) -> Proc:
        """`elo worker`: dramatiq worker processes for every actor; waits until each is ready."""
        argv = [sys.executable, "-m", "services.cli", "worker", "--processes", str(processes),
                "--threads", str(threads)]
        proc = self._proc("worker", argv, env, ready_line="is ready for action", ready_count=processes)
        return proc.start(wait=wait)

    def start_scheduler(self, interval: float = 0.5, *, env: dict[str, str] | None = None,
                        wait: bool = True) -> Proc:
        """`elo scheduler`: due jobs and the outbox sweeper."""
        argv = [sys.executable, "-m", "services.cli", "scheduler", "--interval", str(interval)]
        proc = self._proc("scheduler", argv, env, ready_line="Scheduler running.")
        return proc.start(wait=wait)

    def start_all(self, web_workers: int = 2, worker_processes: int = 1, worker_threads: int = 4,
                  timeout: float = 90.0, web_threads: int = 1) -> dict[str, Proc]:
        """The three services, a worker and a scheduler, started together; waits for all."""
        started = {name: self.start_web(name, web_workers, threads=web_threads, wait=False) for name in PREFIXES}
        started["worker"] = self.start_worker(worker_processes, worker_threads, wait=False)
        started["scheduler"] = self.start_scheduler(wait=False)
        for proc in started.values():
            proc.wait_ready(timeout)
        return started

    def run_cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120.0,
                check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m services.cli <args>` against the same databases and broker."""
        done = subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=REPO, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise ProcessFailed(f"elo {' '.join(args)} exited with {done.returncode}:\n{done.stderr}")
        return done

    def logs(self) -> str:
        return "\n".join(f"----- {proc.name} (pid {proc.pid}, exit {proc.returncode})\n{proc.tail(200)}"
                         for proc in self.started)

    def stop_all(self, timeout: float = 30.0) -> dict[str, int | None]:
        """SIGTERM to every process at once, then wait for each; exit codes by process name."""
        for proc in self.started:
            proc.terminate()
        return {proc.name: proc.wait_stopped(timeout) for proc in self.started}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop_all(timeout=15)
        for proc in self.started:
            with contextlib.suppress(Exception):
                proc.kill()
        self._ports.close()


_STARTED = pytest.StashKey[list[Any]]()


@pytest.fixture
def processes(request: pytest.FixtureRequest, backend: Backend, apps: Any,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    """Processes on this test's (empty) databases and purged queues; all stopped at the end."""
    if not backend.is_postgres:
        pytest.skip("separate processes need PostgreSQL and RabbitMQ")
    running = Processes(backend, tmp_path_factory.mktemp("processes"))
    request.node.stash.setdefault(_STARTED, []).append(running)
    try:
        yield running
    finally:
        running.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and report.when in ("setup", "call"):
        for owner in item.stash.get(_STARTED, []):
            report.sections.append((f"elo process logs ({report.when})", owner.logs()))


# --- an SMTP sink in another process ----------------------------------------------------------------

class SmtpSinkProcess:
    """tests/reliability/smtp_sink.py as a subprocess that can be stopped and started on one port."""

    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1") -> None:
        """`port` is held by the caller (`reserved_port`); the sink binds it with SO_REUSEPORT."""
        self.host = host
        self.port = port
        self.directory = directory / "mail"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / "smtp-sink.log"
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self, reply: str | None = None, timeout: float = 20.0) -> SmtpSinkProcess:
        if self.running:
            raise ProcessFailed("the SMTP sink is already running")
        argv = [sys.executable, "-m", "tests.reliability.smtp_sink", "--host", self.host, "--port", str(self.port),
                "--directory", str(self.directory)]
        if reply:
            argv += ["--reply", reply]
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise ProcessFailed(f"the SMTP sink exited:\n{self.log_path.read_text(errors='replace')}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1):
                return self
            time.sleep(0.05)
        raise ProcessFailed(f"the SMTP sink did not listen on port {self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def restart(self, reply: str | None = None) -> SmtpSinkProcess:
        self.stop()
        return self.start(reply)

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml"))

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in self.files()]  # type: ignore[misc]

    @staticmethod
    def recipients(message: EmailMessage) -> list[str]:
        from tests.reliability.smtp_sink import RECIPIENTS_HEADER

        return [address.strip().lower() for address in str(message[RECIPIENTS_HEADER] or "").split(",") if address]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages() if address.lower() in self.recipients(message)]

    def counts(self) -> collections.Counter[str]:
        """How many messages each recipient got (a message to two recipients counts for both)."""
        return collections.Counter(address for message in self.messages() for address in self.recipients(message))

    def wait_for(self, count: int, timeout: float = 60.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; returns them (fewer if the time ran out)."""
        deadline = time.monotonic() + timeout
        while len(self.files()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages()

    def clear(self) -> None:
        for path in self.files():
            path.unlink()


@pytest.fixture
def smtp_sink_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSinkProcess]:
    with reserved_port() as port:
        sink = SmtpSinkProcess(tmp_path_factory.mktemp("smtp-sink"), port).start()
        try:
            yield sink
        finally:
            sink.stop()


# --- HTTP ---------------------------------------------------------------------------------------------

def request_json(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
                 timeout: float = 10.0) -> tuple[int, Any]:
    """One HTTP request; (status, parsed JSON body or None). Status 0 when nothing answered."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310 - test servers
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, _json_or_none(response.read())
    except urllib.error.HTTPError as error:
        try:
            return error.code, _json_or_none(error.read())
        except (OSError, http.client.HTTPException):
            return error.code, None
    except (OSError, ValueError, http.client.HTTPException):
        # HTTPException covers a reply cut off mid-way (IncompleteRead, BadStatusLine): "no answer".
        return 0, None


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
