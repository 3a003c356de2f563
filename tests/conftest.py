"""Test harness: every service test runs on both backends.

- `backend` is "sqlite" (SQLite files + StubBroker) or "postgres" (a fresh PostgreSQL database
  per service for this test session + RabbitMQ). Server-backed runs skip with a reason when a
  server is absent, and fail instead when ELO_REQUIRE_SERVERS=1 (CI).
- `apps` gives the three service apps, migrated, tables emptied before each test.
- `client` is a test client on the composed URL space (`/newsletter/…`, `/events/…`, `/mailer/…`).
- `worker` runs a dramatiq worker in threads; `drain()` waits until every queue is empty.
- `smtp_sink` is a real SMTP server (aiosmtpd) on a port it bound itself (port 0).
- `serving(wsgi)` serves a WSGI app from threads on a port it bound itself and yields that port.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dramatiq import Broker, Worker
from dramatiq.brokers.stub import StubBroker
from flask import Flask
from werkzeug.serving import BaseWSGIServer
from werkzeug.test import Client

from services import SERVICES
from shared import apps as app_registry
from shared.auth import new_token, store_token
from shared.broker import build_broker, use_broker
from shared.migrations import upgrade
from shared.networks import set_network
from shared.ratelimit import reset_rates
from shared.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("ELO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BROKER_URL = os.environ.get("ELO_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
REQUIRE_SERVERS = os.environ.get("ELO_REQUIRE_SERVERS") == "1"
BACKENDS = [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgres", id="postgres", marks=[pytest.mark.postgres, pytest.mark.rabbitmq])]


def server_missing(what: str, error: BaseException) -> None:
    reason = f"{what} is not reachable ({type(error).__name__}: {error})"
    if REQUIRE_SERVERS:
        pytest.fail(f"{reason}; ELO_REQUIRE_SERVERS=1 requires it")
    pytest.skip(f"{reason}; set ELO_REQUIRE_SERVERS=1 to fail instead")


# --- servers -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server URL (maintenance database), or skip/fail."""
    engine = sa.create_engine(_psycopg(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:
        server_missing(f"PostgreSQL at {POSTGRES_URL}", error)
    finally:
        engine.dispose()
    return _psycopg(POSTGRES_URL)


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[str]:
    """The RabbitMQ URL for this test session: a vhost of its own when rabbitmqctl is at hand,
    so test runs side by side never consume each other's messages."""
    import pika

    try:
        params = pika.URLParameters(BROKER_URL)
        params.socket_timeout = 3
        params.connection_attempts = 1
        pika.BlockingConnection(params).close()
    except Exception as error:
        server_missing(f"RabbitMQ at {BROKER_URL}", error)
    vhost = f"elo_test_{os.getpid()}_{secrets.token_hex(3)}"
    if not _rabbitmqctl("add_vhost", vhost):
        yield BROKER_URL
        return
    _rabbitmqctl("set_permissions", "-p", vhost, params.credentials.username, ".*", ".*", ".*")
    yield BROKER_URL.rstrip("/") + "/" + vhost
    _rabbitmqctl("delete_vhost", vhost)


def _rabbitmqctl(*args: str) -> bool:
    """Run rabbitmqctl against a local server; False when that is not possible here."""
    import shutil
    import subprocess

    local = "127.0.0.1" in BROKER_URL or "localhost" in BROKER_URL
    if not local or shutil.which("rabbitmqctl") is None:
        return False
    try:
        subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=30)
    except (subprocess.SubprocessError, OSError):
        return False
    return True


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@contextlib.contextmanager
def fresh_postgres_database(server_url: str, name: str) -> Iterator[str]:
    """Create a database for this test session; drop it afterwards."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- backend and settings -----------------------------------------------------------------------

@dataclass
class Backend:
    name: str
    database_urls: dict[str, str]
    broker_url: str | None
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    def env(self, **overrides: str) -> dict[str, str]:
        """ELO_* variables that point a subprocess (gunicorn, worker, scheduler) at this backend."""
        env = {
            "ELO_DATA_DIR": str(self.data_dir),
            "ELO_SECRET_KEY": TEST_SECRET_KEY,
            **{f"ELO_{service.upper()}_DATABASE_URL": url for service, url in self.database_urls.items()},
        }
        if self.broker_url:
            env["ELO_BROKER_URL"] = self.broker_url
        env.update(self.extra_env)
        env.update(overrides)
        return env


TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"elo-{request.param}")
    if request.param == "sqlite":
        urls = {info.name: f"sqlite:///{data_dir / (info.name + '.db')}" for info in SERVICES}
        yield _migrated(Backend("sqlite", urls, None, data_dir))
        return
    server_url = request.getfixturevalue("postgres_server")
    broker_url = request.getfixturevalue("rabbitmq_server")
    run_id = f"{os.getpid()}_{secrets.token_hex(3)}"
    with contextlib.ExitStack() as stack:
        urls = {info.name: stack.enter_context(fresh_postgres_database(server_url, f"elo_test_{run_id}_{info.name}"))
                for info in SERVICES}
        yield _migrated(Backend("postgres", urls, broker_url, data_dir))
        for info in SERVICES:
            info.module().db.dispose()


def _migrated(backend: Backend) -> Backend:
    for info in SERVICES:
        database = info.module().db
        database.configure(backend.database_urls[info.name])
        upgrade(database, info.migrations_dir)
    return backend


@pytest.fixture
def settings(backend: Backend) -> Settings:
    return load_settings(backend.env())


# --- broker, apps, worker -----------------------------------------------------------------------

_rabbitmq_brokers: dict[str, Broker] = {}


class RabbitmqGuard:
    """The machine's RabbitMQ is shared by the test workers (`make test` runs two). A test that uses it
    holds it shared; a test that restarts it (`alone()`) waits until no other worker's test uses it, and
    keeps new ones waiting until it is back. Each restart bumps a generation, so a worker drops its
    broker connections from before the restart instead of finding them reset mid-test."""

    def __init__(self) -> None:
        directory = Path(tempfile.gettempdir())
        self._lock_path = directory / "elo-test-rabbitmq.lock"
        self._generation_path = directory / "elo-test-rabbitmq.generation"
        self._file: Any = None
        self._shared_depth = 0

    def _lock(self, operation: int) -> None:
        if self._file is None:  # held for the whole test session, closed at exit
            self._file = self._lock_path.open("a+")
            atexit.register(self._file.close)
        fcntl.flock(self._file.fileno(), operation)

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        if self._shared_depth == 0:
            self._lock(fcntl.LOCK_SH)
        self._shared_depth += 1
        try:
            yield
        finally:
            self._shared_depth -= 1
            if self._shared_depth == 0:
                self._lock(fcntl.LOCK_UN)

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        self._lock(fcntl.LOCK_EX)
        try:
            yield
        finally:
            self._generation_path.write_text(str(self.generation() + 1))
            self._lock(fcntl.LOCK_SH if self._shared_depth else fcntl.LOCK_UN)

    def generation(self) -> int:
        try:
            return int(self._generation_path.read_text() or 0)
        except (OSError, ValueError):
            return 0


rabbitmq_guard = RabbitmqGuard()
_rabbitmq_generations: dict[str, int] = {}


@pytest.fixture
def broker(backend: Backend) -> Iterator[Broker]:
    """A fresh StubBroker per test, or the session's RabbitMQ broker with its queues purged."""
    if backend.broker_url is None:
        stub = build_broker(None)
        use_broker(stub)
        yield stub
        stub.close()
        return
    with rabbitmq_guard.shared():
        rabbit = _rabbitmq_brokers.get(backend.broker_url)
        if rabbit is None or _rabbitmq_generations.get(backend.broker_url) != rabbitmq_guard.generation():
            rabbit = _rabbitmq_brokers[backend.broker_url] = build_broker(backend.broker_url)
            _rabbitmq_generations[backend.broker_url] = rabbitmq_guard.generation()
        use_broker(rabbit)
        _purge(rabbit)  # before each test, not after: the next test starts from empty queues either way
        yield rabbit


def _purge(broker: Broker) -> None:
    for queue_name in list(broker.get_declared_queues()):
        with contextlib.suppress(Exception):
            broker.flush(queue_name)


@pytest.fixture
def apps(request: pytest.FixtureRequest, backend: Backend, settings: Settings,
         broker: Broker) -> Iterator[dict[str, Flask]]:
    """The three service apps on this backend, every table empty."""
    import services.worker  # noqa: F401 - declares every actor on the broker

    # The test client does not always close responses, so the network of an earlier test's last request
    # (set by `NetworkPaths`) may still be this thread's: every test starts in the default network.
    set_network(None)
    built = _fresh_apps(settings) if request.node.get_closest_marker("fresh_apps") else _reused_apps(settings)
    for info in SERVICES:
        _empty_tables(info.module().db)
    reset_rates()  # like the tables, rate-limit counters start empty in every test
    yield built
    set_network(None)
    app_registry.forget_apps()


def _fresh_apps(settings: Settings) -> dict[str, Flask]:
    # The apps of the embedded run (`elo up`): with the mailer's test mailbox at /mailer/outbox/.
    config = {"ELO_SETTINGS": settings, "TESTING": True, "ELO_EMBEDDED": True}
    return {info.name: info.module().create_app(config) for info in SERVICES}


@dataclass
class _BuiltApps:
    settings: Settings
    apps: dict[str, Flask]
    configs: dict[str, dict[str, Any]]
    extensions: dict[str, dict[str, Any]]


_built_apps: list[_BuiltApps] = []


def _reused_apps(settings: Settings) -> dict[str, Flask]:
    """The apps of the previous test when its settings were the same, with their config and extensions
    as they were built: building three apps costs ~150 ms, more than most tests.

    A test that adds routes or blueprints is marked `fresh_apps`: Flask refuses those on an app that
    has served a request, and they would stay for the next tests."""
    if _built_apps and _built_apps[0].settings == settings:
        built = _built_apps[0]
        for name, app in built.apps.items():
            app.config.clear()
            app.config.update(built.configs[name])
            app.extensions.clear()
            app.extensions.update(built.extensions[name])
            app.extensions["elo_database"].configure(app.config["DATABASE_URL"])
            app_registry.set_app(name, app)
        return built.apps
    apps = _fresh_apps(settings)
    _built_apps[:] = [_BuiltApps(settings, apps, {name: dict(app.config) for name, app in apps.items()},
                                 {name: dict(app.extensions) for name, app in apps.items()})]
    return apps


def _empty_tables(database: Any) -> None:
    tables = [table for metadata in database.metadatas for table in metadata.sorted_tables]
    with database.engine.begin() as connection:
        for table in reversed(tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            # DELETE and a sequence reset take ~10 ms per database where TRUNCATE takes ~60 ms, and
            # a test's tables hold a handful of rows.
            connection.execute(sa.text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))


@pytest.fixture
def client(apps: dict[str, Flask], settings: Settings) -> Client:
    from services import landing
    from services.gateway import compose

    return Client(compose(apps, landing.create_app({"ELO_SETTINGS": settings, "TESTING": True})))


@pytest.fixture
def worker(broker: Broker, apps: dict[str, Flask]) -> Iterator[Worker]:
    running = Worker(broker, worker_threads=4, worker_timeout=50)
    running.start()
    yield running
    running.stop(timeout=10_000)


@pytest.fixture
def drain(broker: Broker, worker: Worker) -> Callable[..., None]:
    """Wait until every queue is empty and the worker is idle (messages beget messages, so loop)."""

    def wait(timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for queue_name in list(broker.get_declared_queues()):
                remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
                if isinstance(broker, StubBroker):
                    broker.join(queue_name, timeout=remaining_ms, fail_fast=False)
                else:
                    broker.join(queue_name, min_successes=2, idle_time=50, timeout=remaining_ms)
            worker.join()
            if _all_empty(broker):
                return
        raise TimeoutError("queues did not drain in time")

    return wait


def _all_empty(broker: Broker) -> bool:
    if isinstance(broker, StubBroker):
        return all(broker.queues[name].unfinished_tasks == 0 for name in broker.queues)
    # (ready, delayed, dead-lettered): a message that failed for good is finished, not pending
    return all(sum(broker.get_queue_message_counts(name)[:2]) == 0 for name in broker.get_declared_queues())


# --- tokens ---------------------------------------------------------------------------------------

@pytest.fixture
def admin_headers(apps: dict[str, Flask]) -> Callable[[str], dict[str, str]]:
    """`admin_headers("coordinator")` → Authorization header with a fresh token of that role."""
    made: dict[str, str] = {}

    def headers(role: str) -> dict[str, str]:
        if role not in made:
            token = new_token()
            for info in SERVICES:
                with info.module().db.transaction() as session:
                    store_token(session, token, role)
            made[role] = token
        return {"Authorization": f"Bearer {made[role]}"}

    return headers


def free_port() -> int:
    """A port with nothing listening on it, for tests of a refused connection. Never start a server on
    it (another process may take it between this call and that start): servers bind port 0 themselves
    and the test reads the port back (`serving`, `smtp_sink`, `reserved_port`)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def reserved_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port held for the block by a bound, not listening SO_REUSEPORT socket: a server in another
    process binds it with SO_REUSEPORT (gunicorn `--reuse-port`, nginx `reuseport`), and the port stays
    ours while that server is stopped and started again. Connections are refused while none listens."""
    import socket

    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind((host, 0))
        yield int(holder.getsockname()[1])


@contextlib.contextmanager
def serving(wsgi: Any, port: int = 0, threads: int = 8) -> Iterator[int]:
    """Serve `wsgi` on 127.0.0.1 from background threads until the block ends; yields the port the
    server bound (port 0: the kernel picks a free one, so there is no race with other processes).

    Werkzeug's server, driven only through its public API (`serve_forever` / `shutdown`, both safe
    across threads), with requests handled by a pool of `threads` like waitress does. It speaks
    HTTP/1.0 (no keep-alive), so an idle browser connection never holds one of the pool's threads."""
    import threading

    server = _PooledServer("127.0.0.1", port, wsgi, threads)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"http-{server.port}", daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class _PooledServer(BaseWSGIServer):
    """socketserver's documented `process_request` hook, handing each connection to a thread pool."""

    def __init__(self, host: str, port: int, app: Any, threads: int) -> None:
        super().__init__(host, port, app)
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix=f"http-{self.port}")

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self._handle, request, client_address)

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        super().server_close()


# --- SMTP -----------------------------------------------------------------------------------------

@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[EmailMessage]
    envelopes: list[Any]

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, e in zip(self.messages, self.envelopes, strict=True)
                if address.lower() in (r.lower() for r in e.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.sink.envelopes.append(envelope)
        self.sink.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


def smtp_controller(handler: Any, host: str = "127.0.0.1", **options: Any) -> Any:
    """An aiosmtpd Controller on port 0: `.start()` binds a free port, `.port` tells which."""
    from aiosmtpd.controller import Controller

    class PortZeroController(Controller):  # type: ignore[misc]
        def _trigger_server(self) -> None:  # aiosmtpd's hook for subclasses, run once the server listens
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    return PortZeroController(handler, hostname=host, port=0, **options)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink("127.0.0.1", 0, [], [])
    controller = smtp_controller(_Collect(sink), host=sink.host)
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


# --- running on two cores ---------------------------------------------------------------------------

_GROUPS = {"reliability": "processes", "deploy": "processes", "e2e": "browser"}
# Deployment tests that run short `elo` commands, not process trees: free to run beside the others.
_UNGROUPED = {"test_upgrade.py", "test_backup.py", "test_compose.py"}
# With three workers or more (or ELO_TEST_PROCESS_GROUPS=2), these files' process trees run on a second
# worker beside the others: about half of the process-tree tests' time each way.
_SECOND_PROCESS_GROUP = {"test_mailer_faults.py", "test_system_broker_restart.py", "test_system_schedulers.py",
                         "test_network_fairness.py", "test_events_scheduler.py", "test_metrics.py"}
_PROCESS_GROUPS = int(os.environ.get("ELO_TEST_PROCESS_GROUPS")
                      or (2 if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) >= 3 else 1))


@pytest.hookimpl(tryfirst=True)  # before xdist turns the group markers into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With `-n 3 --dist loadgroup` (as `make test` runs), the tests that start whole process trees run
    one after another in two groups of about equal time, each on one worker, and the browser tests on
    one worker; the small tests fill the gaps. Much of a process-tree test's time is waiting (a relay
    down for 30 s, a worker killed and restarted), so a third worker on two cores is time gained."""
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        relative = Path(str(item.path)).resolve().relative_to(tests_dir)
        group = _GROUPS.get(relative.parts[0]) if len(relative.parts) > 1 else None
        if relative.name in _UNGROUPED:
            group = None
        if group == "processes" and _PROCESS_GROUPS > 1 and relative.name in _SECOND_PROCESS_GROUP:
            group = "processes-2"
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
