# ruff: noqa: T201, S603, S607 - a command-line check that prints its steps and runs docker and psql
"""`make deploy-check`: build the image from deploy/Dockerfile, start deploy/compose.yaml, walk a
journey through nginx, run the README's production commands, tear everything down.

Where the official base images cannot be pulled, the local stand-ins are built first
(deploy/scripts/local-base-image.sh, deploy/check/nginx.Dockerfile). The machine's own PostgreSQL,
RabbitMQ and Redis serve as the data services, and every container uses the host's network
(deploy/check/compose.host.yaml says why and how). Mail goes to an SMTP sink in this process.

Exit 0 when every step held; otherwise the failing step and the compose logs are printed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
PROJECT = "elocheck"
FRONT = "http://127.0.0.1:80"
IMAGE = "elo-network:check"
NGINX_IMAGE = "elo-nginx:check"
BASE_IMAGE = "python:3.11-slim"
DATABASES = ("subscriptions", "events", "mailer")
VHOST = "elo_check"
ADDRESS = "aino.check@example.fi"


def step(title: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            print(f"deploy-check: {title} …", flush=True)
            result = fn(*args, **kwargs)
            print(f"deploy-check: {title}: ok ({time.monotonic() - started:.0f} s)", flush=True)
            return result
        return run
    return decorate


def sh(*command: str, check: bool = True, capture: bool = False, env: dict[str, str] | None = None,
       timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=check, text=True, capture_output=capture, timeout=timeout,
                          env={**os.environ, **(env or {})})


MERGED = Path(tempfile.gettempdir()) / "elo-deploy-check-compose.yaml"


def compose(*args: str, capture: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
    return sh(*compose_command(), "-p", PROJECT, "-f", str(MERGED), *args, capture=capture, check=check,
              env=compose_env())


def merge_compose_files() -> None:
    """deploy/compose.yaml with the host-network override, as compose itself merges them; less nginx's
    published port, which a container on the host's network cannot have (and does not need)."""
    import yaml

    files = ["-f", str(DEPLOY / "compose.yaml"), "-f", str(DEPLOY / "check" / "compose.host.yaml")]
    merged = sh(*compose_command(), "-p", PROJECT, *files, "config", capture=True, env=compose_env()).stdout
    config = yaml.safe_load(merged)
    for service in config["services"].values():
        if service.get("network_mode") == "host":
            service.pop("ports", None)
    MERGED.write_text(yaml.safe_dump(config, sort_keys=False))


def compose_command() -> list[str]:
    if sh("docker", "compose", "version", check=False, capture=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise SystemExit("deploy-check: neither `docker compose` nor docker-compose is installed")


_sink_port = 0


def compose_env() -> dict[str, str]:
    # Creating a container copies its whole image on the vfs storage driver: minutes on a busy machine,
    # past docker-compose v1's default HTTP timeout of 60 s.
    return {"COMPOSE_HTTP_TIMEOUT": "900",
            "ELO_CHECK_IMAGE": IMAGE, "ELO_CHECK_NGINX_IMAGE": NGINX_IMAGE, "ELO_CHECK_VHOST": VHOST,
            "ELO_SMTP_URL": f"smtp://127.0.0.1:{_sink_port}", "ELO_BASE_URL": FRONT,
            "ELO_SECRET_KEY": "deploy-check-secret-key-0123456789abcdef", "ELO_PROXY_HOPS": "1",
            "ELO_OUTBOX_RESEND_AFTER": "30"}


def image_exists(name: str) -> bool:
    return sh("docker", "image", "inspect", name, check=False, capture=True).returncode == 0


class NoEngine(SystemExit):
    """No Docker engine answers and none can be started on this machine."""


@step("Docker engine")
def docker_engine() -> None:
    if sh("docker", "info", check=False, capture=True).returncode == 0:
        return
    if shutil.which("docker") is None or shutil.which("dockerd") is None or os.geteuid() != 0:
        raise NoEngine("deploy-check: no Docker engine answers and none can be started here (needs root and dockerd)")
    log = (Path(tempfile.gettempdir()) / "elo-dockerd.log").open("ab")  # the engine outlives this process
    subprocess.Popen(["dockerd", "--storage-driver=vfs", "--iptables=false", "--bridge=none"],
                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: sh("docker", "info", check=False, capture=True).returncode == 0, 60, "the Docker engine")
    except SystemExit as error:
        raise NoEngine(f"{error} (its log: {log.name})") from error


@step("images")
def images() -> None:
    base = BASE_IMAGE
    if not image_exists(base):
        base = sh(str(DEPLOY / "scripts" / "local-base-image.sh"), capture=True).stdout.strip().splitlines()[-1]
    sh("docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}", "-f",
       str(DEPLOY / "Dockerfile"), "-t", IMAGE, str(REPO))
    if not image_exists(NGINX_IMAGE):
        sh("docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}", "-f",
           str(DEPLOY / "check" / "nginx.Dockerfile"), "-t", NGINX_IMAGE, str(DEPLOY / "check"))


@step("data services (the machine's PostgreSQL, RabbitMQ and Redis)")
def data_services() -> None:
    statements = ["DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'elo') "
                  "THEN CREATE ROLE elo LOGIN PASSWORD 'elo'; END IF; END $$;"]
    for name in DATABASES:
        statements += [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);', f'CREATE DATABASE "{name}" OWNER elo;']
    for statement in statements:
        sh("psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", statement)
    sh("rabbitmqctl", "delete_vhost", VHOST, check=False, capture=True)
    sh("rabbitmqctl", "add_vhost", VHOST, capture=True)
    sh("rabbitmqctl", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*", capture=True)


def drop_data_services() -> None:
    for name in DATABASES:
        sh("psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c",
           f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);', check=False, capture=True)
    sh("rabbitmqctl", "delete_vhost", VHOST, check=False, capture=True)


class Sink:
    """An SMTP server (aiosmtpd) that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
                return "250 OK"

        class PortZeroController(Controller):  # the system picks the port; it is read back before the start
            def _create_server(self) -> Any:
                return self._listen()

            async def _listen(self) -> Any:
                server = await super()._create_server()
                self.port = server.sockets[0].getsockname()[1]
                return server

        self.controller = PortZeroController(Handler(), hostname="127.0.0.1", port=0)

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, urllib.error.URLError):
            result = condition()
            if result:
                return result
        time.sleep(1)
    raise SystemExit(f"deploy-check: gave up waiting for {what} after {timeout:.0f} s")


def http(method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
         form: dict[str, str] | None = None) -> tuple[int, Any]:
    data, all_headers = None, {"Accept": "application/json", **(headers or {})}
    if body is not None:
        data, all_headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(FRONT + path, data=data, method=method, headers=all_headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own stack on loopback
            raw = response.read()
            status = response.status
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        raw, status, kind = error.read(), error.code, error.headers.get("Content-Type", "")
    return status, json.loads(raw) if "json" in kind and raw else raw.decode("utf-8", "replace")


def project_containers() -> list[str]:
    listed = sh("docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}", capture=True)
    return listed.stdout.split()


@step("no containers left from an earlier check")
def clean_slate() -> None:
    leftovers = project_containers()
    if leftovers:
        sh("docker", "rm", "-f", "-v", *leftovers, check=False, capture=True)
    wait_for(lambda: not project_containers(), 300, "earlier containers to be removed")


@step("stack up and healthy")
def stack_up() -> None:
    compose("up", "-d", "--no-build")
    wait_for(lambda: http("GET", "/events/healthz")[0] == 200, 600, "nginx and the services")
    for prefix in ("/newsletter", "/events", "/mailer"):
        status, body = http("GET", f"{prefix}/healthz")
        assert status == 200, (prefix, body)


@step("create-token as the README says")
def create_token() -> str:
    output = compose("run", "--rm", "migrate", "elo", "create-token", "--role", "coordinator", capture=True).stdout
    token = output.strip().splitlines()[-1].split()[-1]
    status, body = http("GET", "/newsletter/api/v1/subscribers", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body
    return token


@step("journey through nginx: subscribe, confirm, send an issue, register, read the feed")
def journey(sink: Sink, token: str) -> None:
    admin = {"Authorization": f"Bearer {token}"}
    status, body = http("POST", "/newsletter/api/v1/subscriptions",
                        {"email": ADDRESS, "language": "fi", "topics": ["newsletter"]})
    assert status == 202, body
    confirmation = wait_for(lambda: sink.to(ADDRESS), 60, "the confirmation mail")[0]
    link = re.search(r"/newsletter/confirm/[A-Za-z0-9._-]+", text_of(confirmation))
    assert link, text_of(confirmation)
    assert http("GET", link.group(0))[0] == 200
    assert http("POST", link.group(0), form={})[0] == 200
    wait_for(lambda: len(sink.to(ADDRESS)) >= 2, 60, "the welcome mail")

    status, issue = http("POST", "/newsletter/api/v1/issues", {
        "title": "ELO-uutiskirje 4/2026", "language": "fi",
        "introduction": "Hyvä lukija,\n\ntämä numero kulki nginxin, gunicornin ja RabbitMQ:n läpi."}, headers=admin)
    assert status == 201, issue
    status, body = http("POST", f"/newsletter/api/v1/issues/{issue['id']}/send", {"confirm": True}, headers=admin)
    assert status in (200, 202), body
    wait_for(lambda: any(m["Subject"] == "ELO-uutiskirje 4/2026" for m in sink.to(ADDRESS)), 90, "the issue")

    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=14)
    status, event = http("POST", "/events/api/v1/events", {
        "kind": "training", "mode": "onsite", "capacity": 30,
        "title": {"fi": "Ohjaus tutuksi", "sv": "Vägledning i praktiken", "en": "Guidance in practice"},
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
        "address": "Oulun kaupungintalo, Torikatu 10, Oulu"}, headers=admin)
    assert status == 201, event
    status, registration = http("POST", f"/events/api/v1/events/{event['id']}/registrations", {
        "name": "Aino Virtanen", "email": ADDRESS, "organisation": "Oulun kaupunki", "participation": "onsite",
        "language": "fi"})
    assert status == 201, registration
    wait_for(lambda: len(sink.to(ADDRESS)) >= 4, 60, "the registration mail")
    status, feed = http("GET", "/events/calendar.ics")
    assert status == 200
    assert "Ohjaus tutuksi" in feed, feed[:500]


NETWORK_ADDRESS = "anna.andersson@example.fi"


@step("a second network through nginx: added while running, its own token, event, mail and pages")
def second_network(sink: Sink) -> None:
    compose("run", "--rm", "migrate", "elo", "network", "add", "osterbotten", "--name-sv", "Österbottens ELO-grupp",
            "--name-fi", "Pohjanmaan ELO-ryhmä", "--languages", "sv,fi",
            "--mail-from", "ELO Österbotten <elo-osterbotten@example.fi>", capture=True)
    output = compose("run", "--rm", "migrate", "elo", "create-token", "--role", "organizer", "--network",
                     "osterbotten", capture=True).stdout
    admin = {"Authorization": f"Bearer {output.strip().splitlines()[-1].split()[-1]}"}
    # Every web process reads the list of networks again within seconds: no restart.
    wait_for(lambda: http("GET", "/osterbotten/events/")[0] == 200, 60, "the network's pages")
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=21)
    status, event = http("POST", "/osterbotten/events/api/v1/events", {
        "kind": "network-meeting", "mode": "online", "online_url": "https://meet.example.fi/vasa",
        "title": {"sv": "Nätverksträff på distans", "fi": "Verkostotapaaminen etänä"},
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=2)).isoformat()}, headers=admin)
    assert status == 201, event
    assert http("POST", "/events/api/v1/events", {}, headers=admin)[0] == 404  # nothing of the default one
    status, registration = http("POST", f"/osterbotten/events/api/v1/events/{event['id']}/registrations", {
        "name": "Anna Andersson", "email": NETWORK_ADDRESS, "organisation": "Vasa stad", "participation": "remote",
        "language": "sv"})
    assert status == 201, registration
    mail = wait_for(lambda: sink.to(NETWORK_ADDRESS), 60, "the network's registration mail")[0]
    assert "elo-osterbotten@example.fi" in str(mail["From"]), mail["From"]
    assert "/osterbotten/events/" in text_of(mail), text_of(mail)
    assert "Nätverksträff på distans" in http("GET", "/osterbotten/events/?lang=sv")[1]
    assert "Nätverksträff på distans" in http("GET", "/events/?lang=sv")[1]  # the national calendar
    assert http("GET", "/osterbotten/events/metrics")[0] == 404


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


@step("metrics: scraped on the service's own address, refused at the front door")
def metrics() -> None:
    with urllib.request.urlopen("http://127.0.0.12:8000/events/metrics", timeout=30) as response:
        text = response.read().decode()
    for family in ("elo_http_requests_total", "elo_outbox_pending", "elo_event_registrations"):
        assert family in text, text[:2000]
    assert http("GET", "/events/metrics")[0] == 404


@step("one login through nginx: log in at the events workspace, open the newsletter workspace")
def one_login() -> None:
    email, password = "kaisa.koordinaattori@example.fi", "deploy-check-password-42"
    compose("run", "--rm", "-e", f"ELO_NEW_USER_PASSWORD={password}", "migrate", "elo", "create-user",
            "--email", email, "--role", "coordinator", "--name", "Kaisa Koordinaattori", capture=True)
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    login_page = browser.open(FRONT + "/events/admin/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert csrf, login_page[:2000]
    form = urllib.parse.urlencode({"csrf_token": csrf.group(1), "next": "", "email": email, "password": password})
    landed = browser.open(FRONT + "/events/admin/login", data=form.encode(), timeout=30)
    assert not landed.geturl().endswith("/login"), landed.geturl()
    newsletter = browser.open(FRONT + "/newsletter/admin/", timeout=30)
    assert newsletter.status == 200
    assert "/login" not in newsletter.geturl(), newsletter.geturl()


@step("backup as the README says")
def backup() -> None:
    output = compose("run", "--rm", "migrate", "elo", "backup", "/data/backup-check.zip", capture=True).stdout
    assert "Backup written: 3 databases" in output, output


# Processes with a health check in compose.yaml must say "(healthy)"; the others must be up.
CHECKED_HEALTH = ("landing", "subscriptions", "events", "mailer", "nginx")


@step("ps: every process up and healthy; scale the worker to 2")
def ps_and_scale() -> None:
    output = compose("ps", capture=True).stdout
    for name in (*CHECKED_HEALTH, "worker", "mail-worker", "scheduler"):
        lines = [line for line in output.splitlines() if f"{PROJECT}_{name}_" in line or f"{PROJECT}-{name}-" in line]
        assert lines, output
        assert all(" Up" in line or "running" in line for line in lines), output
        if name in CHECKED_HEALTH:
            assert all("(healthy)" in line for line in lines), output
    compose("up", "-d", "--no-build", "--no-recreate", "--scale", "worker=2", "worker")
    running = compose("ps", "-q", "worker", capture=True).stdout.split()
    assert len(running) == 2, running


@contextlib.contextmanager
def stack() -> Iterator[None]:
    try:
        yield
    except BaseException:
        compose("logs", "--tail", "60", check=False)
        raise
    finally:
        compose("down", "-v", "--remove-orphans", check=False)
        drop_data_services()


def main(argv: list[str]) -> int:
    global _sink_port  # noqa: PLW0603 - the compose environment needs the sink's port
    started = time.monotonic()
    try:
        docker_engine()
    except NoEngine as reason:
        if "--skip-without-engine" not in argv:
            raise
        print(f"{reason}; skipped")
        return 0
    images()
    data_services()
    with Sink() as sink, stack():
        _sink_port = sink.port
        merge_compose_files()
        clean_slate()
        stack_up()
        token = create_token()
        journey(sink, token)
        second_network(sink)
        metrics()
        one_login()
        backup()
        ps_and_scale()
    print(f"deploy-check: passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
