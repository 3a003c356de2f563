"""What every benchmark module shares: the `Figure` record, timing, servers, and RESULTS.md.

The interface a benchmark module follows (`bench/<name>.py`):

    from bench.common import Figure, main

    def run() -> list[Figure]:
        '''One line saying what is measured (shown in RESULTS.md).'''
        ...
        return [Figure("send rate (newsletter)", 412.0, "msg/s",
                       baseline_name="raw smtplib to the same sink", baseline_value=950.0)]

    if __name__ == "__main__":
        main(run)

- `python -m bench` finds every module in `bench/` that defines `def run(` and runs each one in its
  own process (`python -m bench.<name> --json <file>`), so a crash, a leak or a global broker in one
  module cannot affect another. It then writes `bench/RESULTS.md`: one row per figure with its
  baseline (measured in the same run) and the ratio value / baseline.
- `python -m bench.<name>` runs one module alone and prints its figures.
- Keep each module under about 2 minutes (the whole `make bench` must stay under 12 on 2 cores).
  `BUDGET_SECONDS` is the per-module limit the runner enforces.
- `higher_is_better` says how to read the ratio (rates: True; latencies, memory: False).
- A figure may declare what it must reach: `Figure(...).target_ratio(0.25)` (the ratio, ≥ when higher is
  better, else ≤), `.target_value(50)` (the value in its unit), or `target="…", met=…` for anything else.
  RESULTS.md shows the target and MET / NOT MET; the runner prints one summary line per figure.
- Measure the baseline in the same run, on the same machine, against the same server or sink.
- Helpers below: `stopwatch`, `rate`, `percentile`, `free_port`, `postgres_databases` (fresh, migrated
  PostgreSQL databases for the three services), `sqlite_databases`, `service_env`, `Gunicorn`
  (a gunicorn on a free port, started and stopped around a block), `SmtpSink` (aiosmtpd counting sink),
  `rabbitmq_vhost` (a private RabbitMQ virtual host, deleted afterwards), `load` (HTTP load with wrk,
  or Python threads when wrk is missing: requests/s and latency percentiles), and
  `with_bare_endpoint(service)` (gunicorn factory: the service's production app plus a bare
  `GET /<prefix>/bench/bare`, the floor of the same stack, for baselines).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"
BUDGET_SECONDS = 240
POSTGRES_URL = os.environ.get("ELO_BENCH_POSTGRES_URL",
                              os.environ.get("ELO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
BROKER_URL = os.environ.get("ELO_BENCH_BROKER_URL",
                            os.environ.get("ELO_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/"))
SECRET_KEY = "bench-secret-key-" + "b" * 32
SERVICES = ("subscriptions", "events", "mailer")


@dataclass
class Figure:
    """One measured figure and the baseline it is compared with."""

    name: str
    value: float
    unit: str
    baseline_name: str
    baseline_value: float
    higher_is_better: bool = True
    note: str = ""
    module: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # What the figure must reach (optional), as people read it ("≥ 0.25x", "≤ 50 µs"), and whether this
    # run reached it (None: no target). Set them directly, or with `target_ratio` / `target_value`.
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float:
        if not self.baseline_value:
            return math.nan
        return self.value / self.baseline_value

    def target_ratio(self, bound: float) -> Figure:
        """Target on the ratio: at least `bound` when higher is better, else at most `bound`."""
        ratio = self.ratio
        self.target = f"{'≥' if self.higher_is_better else '≤'} {bound:g}x {self.baseline_name or 'baseline'}"
        self.met = not math.isnan(ratio) and (ratio >= bound if self.higher_is_better else ratio <= bound)
        return self

    def target_value(self, bound: float) -> Figure:
        """Target on the value itself, in the figure's unit: at least (higher is better) or at most `bound`."""
        self.target = f"{'≥' if self.higher_is_better else '≤'} {format_value(bound)} {self.unit}".rstrip()
        self.met = not math.isnan(self.value) and (self.value >= bound if self.higher_is_better
                                                   else self.value <= bound)
        return self

    def target_value_and_ratio(self, value_bound: float, ratio_bound: float) -> Figure:
        """Both targets at once (say ≥ 150 reg/s and ≥ 0.8x the uncontended rate)."""
        value_target, value_met = self.target_value(value_bound).target, bool(self.met)
        self.target_ratio(ratio_bound)
        self.target, self.met = f"{value_target} and {self.target}", value_met and bool(self.met)
        return self

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("MET" if self.met else "NOT MET")

    def summary_line(self) -> str:
        """`<module>: <figure>: <value> (target <…>) MET|NOT MET` (the runner prints one per figure)."""
        ratio = "" if math.isnan(self.ratio) else f", {self.ratio:.2f}x {self.baseline_name}"
        target = f" (target {self.target}) {self.verdict}" if self.target else " (no target)"
        return f"{self.module}: {self.name}: {format_value(self.value)} {self.unit}{ratio}{target}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})


# --- timing -------------------------------------------------------------------------------------

class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds = 0.0

    def stop(self) -> float:
        self.seconds = time.perf_counter() - self.started
        return self.seconds


@contextlib.contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """`with stopwatch() as watch: …` then `watch.seconds`."""
    watch = Stopwatch()
    try:
        yield watch
    finally:
        watch.stop()


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.nan


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` 0.5 → p50, 0.95 → p95)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_rss_kib(pid: int) -> int:
    """Peak resident memory of a live process (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# --- databases and environment ------------------------------------------------------------------

def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@contextlib.contextmanager
def postgres_databases(label: str, *, migrate: bool = True, fast_commits: bool = False) -> Iterator[dict[str, str]]:
    """Fresh PostgreSQL databases, one per service, migrated; dropped afterwards.

    `fast_commits`: `synchronous_commit = off` on these databases (a commit does not wait for the disk),
    for benchmarks that measure something other than durability (say so in the figure's note)."""
    import sqlalchemy as sa

    admin = sa.create_engine(_psycopg(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    run_id = f"{label}_{os.getpid()}_{secrets.token_hex(2)}"
    urls: dict[str, str] = {}
    try:
        with admin.connect() as connection:
            for service in SERVICES:
                name = f"elo_bench_{run_id}_{service}"
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
                if fast_commits:
                    connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
                urls[service] = sa.make_url(_psycopg(POSTGRES_URL)).set(database=name).render_as_string(
                    hide_password=False)
        if migrate:
            migrate_databases(urls)
        yield urls
    finally:
        _dispose_service_databases()
        with admin.connect() as connection:
            for url in urls.values():
                database = sa.make_url(url).database
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def sqlite_databases(directory: Path, *, migrate: bool = True) -> Iterator[dict[str, str]]:
    urls = {service: f"sqlite:///{directory / (service + '.db')}" for service in SERVICES}
    if migrate:
        migrate_databases(urls)
    try:
        yield urls
    finally:
        _dispose_service_databases()


def migrate_databases(urls: dict[str, str]) -> None:
    from services import SERVICES as INFOS
    from shared.migrations import upgrade

    for info in INFOS:
        database = info.module().db
        database.configure(urls[info.name])
        upgrade(database, info.migrations_dir)


def _dispose_service_databases() -> None:
    from services import SERVICES as INFOS

    for info in INFOS:
        with contextlib.suppress(Exception):
            info.module().db.dispose()


def service_env(database_urls: dict[str, str], data_dir: Path, *, broker_url: str | None = None,
                **overrides: str) -> dict[str, str]:
    """ELO_* variables pointing a process (this one or a subprocess) at these databases."""
    env = {
        "ELO_DATA_DIR": str(data_dir),
        "ELO_SECRET_KEY": SECRET_KEY,
        "ELO_LOG_LEVEL": "WARNING",
        "ELO_CAPTURE_MAIL": "1",  # gunicorn refuses to start with neither a relay nor this
        **{f"ELO_{service.upper()}_DATABASE_URL": url for service, url in database_urls.items()},
    }
    if broker_url:
        env["ELO_BROKER_URL"] = broker_url
    env.update(overrides)
    return env


def admin_token(database_urls: dict[str, str], role: str = "coordinator") -> str:
    """A bearer token of `role` stored in every service's database."""
    from services import SERVICES as INFOS
    from shared.auth import new_token, store_token

    token = new_token()
    for info in INFOS:
        database = info.module().db
        database.configure(database_urls[info.name])
        with database.transaction() as session:
            store_token(session, token, role, "bench")
    return token


# --- processes ----------------------------------------------------------------------------------

class Gunicorn:
    """`with Gunicorn("services.wsgi:create('events')", env) as server: server.url`."""

    def __init__(self, app_spec: str, env: dict[str, str], *, workers: int = 2, threads: int = 1,
                 worker_class: str = "sync", extra_args: Sequence[str] = ()) -> None:
        self.app_spec = app_spec
        self.env = env
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.worker_class = worker_class
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(self.workers), "--threads", str(self.threads),
                   "--worker-class", self.worker_class if self.threads == 1 else "gthread",
                   "--log-level", "warning", "--timeout", "60", "--no-control-socket", *self.extra_args,
                   self.app_spec]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **self.env},
                                        stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_http(self.url + "/", self.process, self.log.name)
        return self

    def __exit__(self, *_exc: object) -> None:
        stop_process(self.process)


def wait_for_http(url: str, process: subprocess.Popen[bytes] | None = None, log_path: str = "",
                  timeout: float = 60.0) -> None:
    """Wait until something answers HTTP at `url` (any status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {Path(log_path).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[Any] | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free port that counts what it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received = 0
        self.recipients = 0
        self._controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.received += 1
        self.recipients += len(envelope.rcpt_tos)
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()


# --- HTTP load --------------------------------------------------------------------------------------

@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    bad_status: int  # answers that were not 2xx/3xx
    errors: int  # connection errors and timeouts
    tool: str

    @property
    def rps(self) -> float:
        return rate(self.requests, self.seconds)


_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ELO-JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50\\":%d,\\"p95\\":%d,"
    .. "\\"p99\\":%d,\\"bad\\":%d,\\"errors\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def load(url: str, *, seconds: float = 8.0, connections: int = 8, threads: int = 2, lua: str = "",
         method: str = "GET", body_for: Callable[[int, int], bytes] | None = None,
         headers_for: Callable[[int, int], dict[str, str]] | None = None,
         path_for: Callable[[int, int], str] | None = None) -> LoadResult:
    """Load `url` for `seconds`. With wrk (Debian package `wrk`), `lua` may define `request()`
    (and `setup`/`init`); without wrk, `body_for(thread, n)` / `headers_for(thread, n)` /
    `path_for(thread, n)` do the same in Python threads (slower client: figures say which tool
    measured them)."""
    import shutil

    python_equivalent = body_for is not None or headers_for is not None or path_for is not None
    if shutil.which("wrk") and (lua or not python_equivalent):
        return _wrk(url, seconds=seconds, connections=connections, threads=threads, lua=lua)
    if lua and not python_equivalent:
        raise RuntimeError("this load needs wrk (Debian package `wrk`): its requests exist only as a wrk script")
    return _python_load(url, seconds=seconds, connections=connections, method=method, body_for=body_for,
                        headers_for=headers_for, path_for=path_for)


def _wrk(url: str, *, seconds: float, connections: int, threads: int, lua: str) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + _WRK_DONE)
    done = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s",
                           "--latency", "-s", script.name, url], capture_output=True, text=True, check=False,
                          timeout=seconds + 60)
    Path(script.name).unlink(missing_ok=True)
    line = next((row for row in done.stdout.splitlines() if row.startswith("ELO-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures: {done.stdout[-1000:]} {done.stderr[-1000:]}")
    data = json.loads(line.removeprefix("ELO-JSON "))
    return LoadResult(data["requests"], data["duration_us"] / 1e6, data["p50"] / 1000, data["p95"] / 1000,
                      data["p99"] / 1000, data["bad"], data["errors"], "wrk")


def _python_load(url: str, *, seconds: float, connections: int, method: str,
                 body_for: Callable[[int, int], bytes] | None,
                 headers_for: Callable[[int, int], dict[str, str]] | None,
                 path_for: Callable[[int, int], str] | None) -> LoadResult:
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    counts = {"bad": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        sent = 0
        mine: list[float] = []
        bad = errors = 0
        while time.perf_counter() < deadline:
            body = body_for(number, sent) if body_for else None
            headers = headers_for(number, sent) if headers_for else {}
            started = time.perf_counter()
            try:
                target = path_for(number, sent) if path_for else path
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
            sent += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["bad"] += bad
            counts["errors"] += errors

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return LoadResult(len(latencies), elapsed, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000,
                      percentile(latencies, 0.99) * 1000, counts["bad"], counts["errors"], "python threads")


def with_bare_endpoint(service: str) -> Any:
    """gunicorn factory (`bench.common:with_bare_endpoint("events")`): the production WSGI app of
    `service` plus `GET <prefix>/bench/bare`, which does nothing, as the floor of the same stack."""
    from services import wsgi
    from shared import apps

    application = wsgi.create(service)
    if service != "landing":
        apps.get_app(service).add_url_rule("/bench/bare", "bench_bare", _bare)
    return application


def _bare() -> str:
    return "ok"


@contextlib.contextmanager
def rabbitmq_vhost(label: str) -> Iterator[str]:
    """BROKER_URL on a private virtual host (so benchmark messages never meet anyone's tests), deleted
    afterwards. Falls back to BROKER_URL itself when rabbitmqctl is not usable."""
    import shutil
    import urllib.parse

    ctl = shutil.which("rabbitmqctl")
    vhost = f"elo_bench_{label}_{os.getpid()}"
    user = urllib.parse.urlsplit(BROKER_URL).username or "guest"

    def run_ctl(*args: str) -> bool:
        if ctl is None:
            return False
        done = subprocess.run([ctl, "-q", *args], capture_output=True, text=True, timeout=60, check=False)
        return done.returncode == 0

    if not (run_ctl("add_vhost", vhost) and run_ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")):
        yield BROKER_URL
        return
    parts = urllib.parse.urlsplit(BROKER_URL)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path="/" + vhost))
    finally:
        run_ctl("delete_vhost", vhost)


# --- output -------------------------------------------------------------------------------------

def format_value(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def figures_table(figures: Sequence[Figure]) -> str:
    lines = ["| module | figure | value | baseline (same run) | baseline value | ratio | target | met |",
             "|---|---|---:|---|---:|---:|---|---|"]
    for figure in figures:
        direction = "higher is better" if figure.higher_is_better else "lower is better"
        ratio = "n/a" if math.isnan(figure.ratio) else f"{figure.ratio:.2f}x ({direction})"
        name = figure.name + (f" — {figure.note}" if figure.note else "")
        lines.append(f"| {figure.module} | {name} | {format_value(figure.value)} {figure.unit} | "
                     f"{figure.baseline_name} | {format_value(figure.baseline_value)} {figure.unit} | {ratio} | "
                     f"{figure.target or '—'} | {figure.verdict or '—'} |")
    return "\n".join(lines)


# Targets of issue #19 for figures whose module declares none itself (matched by module and the start of the
# figure's name); a module's own `target_ratio` / `target_value` / `target=` always wins.
DEFAULT_TARGETS: dict[tuple[str, str], Callable[[Figure], Figure]] = {
    ("registrations", "registration rate, one event"): lambda f: f.target_value_and_ratio(150, 0.8),
    ("load", "events list page p95"): lambda f: f.target_ratio(4),
    ("load", "event page p95"): lambda f: f.target_ratio(3),
    ("load", "calendar feed, 500 events p95"): lambda f: f.target_ratio(3),
    ("load", "national list"): lambda f: f.target_ratio(4),
    ("load", "national feed"): lambda f: f.target_ratio(3),
    ("national_feed", "national list"): lambda f: f.target_ratio(4),
    ("national_feed", "national feed"): lambda f: f.target_ratio(3),
}


def apply_default_targets(figures: Sequence[Figure]) -> None:
    for figure in figures:
        if figure.target or figure.met is not None:
            continue
        for (module, prefix), apply in DEFAULT_TARGETS.items():
            if figure.module == module and figure.name.startswith(prefix):
                apply(figure)
                break


def main(run: Callable[[], list[Figure]]) -> None:
    """Entry point of a benchmark module: prints its figures; `--json PATH` also writes them there."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args()
    module = (sys.modules["__main__"].__spec__.name if sys.modules["__main__"].__spec__ else "bench").split(".")[-1]
    with stopwatch() as watch:
        figures = run()
    for figure in figures:
        figure.module = figure.module or module
    apply_default_targets(figures)
    print(figures_table(figures))
    for figure in figures:
        print(figure.summary_line())
    print(f"({module}: {watch.seconds:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps({"seconds": watch.seconds, "doc": (run.__doc__ or "").strip(),
                                         "figures": [figure.to_json() for figure in figures]}))
