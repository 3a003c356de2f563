"""The `elo` command: up, worker, scheduler, inbound, migrate, create-token, tokens list|revoke, create-user,
seed-demo (and each service's own commands from `services/<name>/commands.py`)."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import click

from services import SERVICES
from services.account_commands import add_account_commands
from services.network_commands import add_commands, each_known_network, each_network, migrate_networks
from shared.contract import SEND_EMAIL
from shared.logs import configure_logging
from shared.settings import Settings, SettingsError, load_settings, require_mail_relay, served_url

log = logging.getLogger("elo")
# The commands that run the production shape: they send mail out or are told to keep it (ELO_CAPTURE_MAIL).
PRODUCTION_COMMANDS = frozenset({"worker", "scheduler"})


MAIL_QUEUE = SEND_EMAIL.queue


def settings_or_exit(*, production: bool = False, served_at: str | None = None) -> Settings:
    try:
        settings = load_settings(served_at=served_at)
        if production:
            require_mail_relay(settings)
    except SettingsError as error:
        click.echo(f"elo: setting {error}", err=True)
        sys.exit(2)
    return settings


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """ELO network services."""
    configure_logging("text" if ctx.invoked_subcommand == "up" else "json")  # json: production processes
    _announce_data_dir(ctx.invoked_subcommand)


def _announce_data_dir(command: str | None) -> None:
    """One line on stderr naming the data directory (the same from any working directory). A command
    whose settings are wrong says so in its own one line instead."""
    if command is None or "--help" in sys.argv[1:]:
        return
    try:
        settings = load_settings()
        if command in PRODUCTION_COMMANDS:
            require_mail_relay(settings)
    except SettingsError:
        return
    click.echo(f"elo: data in {settings.data_dir}", err=True)


def service_databases() -> list[tuple[str, Any]]:
    return [(info.name, info.module().db) for info in SERVICES]


def migrate_all(settings: Settings) -> None:
    from shared.migrations import upgrade

    for info in SERVICES:
        database = info.module().db
        database.configure(settings.database_url(info.name))
        upgrade(database, info.migrations_dir)
    migrate_networks()


@main.command()
def migrate() -> None:
    """Bring every service's database to the newest schema."""
    migrate_all(settings_or_exit())
    click.echo("Databases are up to date.")


@main.command("seed-demo")
def seed_demo() -> None:
    """Load demo content from the seeds into every service."""
    settings = settings_or_exit()
    migrate_all(settings)
    load_demo(settings)
    click.echo("Demo content loaded.")


def load_demo(settings: Settings) -> None:
    """The default network's demo, and a second, Swedish-first network with its own (`network add` as code)."""
    from services.network_commands import migrate_network
    from services.subscriptions.demo import SWEDISH_REGION
    from shared.broker import get_broker
    from shared.network_registry import save_network
    from shared.networks import forget_networks, using_network

    get_broker()
    service_apps = {info.name: info.module().create_app({"ELO_SETTINGS": settings}) for info in SERVICES}
    for info in SERVICES:
        with service_apps[info.name].app_context(), info.module().db.transaction() as session:
            info.module("demo").seed(session)
        save_network(info.module().db, SWEDISH_REGION)
    migrate_network(SWEDISH_REGION)
    forget_networks()
    for info in SERVICES:
        with (using_network(SWEDISH_REGION), service_apps[info.name].app_context(),
              info.module().db.transaction() as session):
            info.module("demo").seed_swedish_region(session)


def import_actors() -> None:
    importlib.import_module("services.worker")


def import_jobs() -> None:
    for info in SERVICES:
        try:
            importlib.import_module(f"{info.package}.jobs")
        except ModuleNotFoundError as error:
            if error.name != f"{info.package}.jobs":
                raise


def scheduler_steps(settings: Settings, sweep_every: float = 10.0) -> list[Callable[[], object]]:
    """One step per service: run due jobs; every `sweep_every` seconds also sweep the outbox."""
    from shared import apps
    from shared.outbox import sweep
    from shared.scheduler import tick

    last_sweep = {"at": 0.0}
    steps: list[Callable[[], object]] = []
    for info in SERVICES:
        database = info.module().db

        def step(service: str = info.name, database: Any = database) -> None:
            with apps.get_app(service).app_context():
                sweep_now = time.monotonic() - last_sweep.get(service, 0.0) >= sweep_every
                if sweep_now:
                    last_sweep[service] = time.monotonic()
                for _network in each_known_network():
                    tick(database)
                    if sweep_now:
                        sweep(database, resend_after=settings.outbox_resend_after)

        steps.append(step)
    return steps


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int, help="0: any free port (printed).")
@click.option("--demo", is_flag=True, help="Load demo content when the data directory is new.")
@click.option("--threads", default=4, show_default=True, type=int, help="Worker threads for messages.")
def up(host: str, port: int, demo: bool, threads: int) -> None:
    """Run everything in one process: the web apps, a worker and the scheduler."""
    from dramatiq import Worker
    from waitress import create_server

    from services.mailer.inbound import start_if_configured
    from shared.broker import get_broker
    from shared.outbox import forget_relays, sweep
    from shared.scheduler import SchedulerLoop

    settings_or_exit()  # a wrong setting is told before a port in use
    listener = _bind_or_exit(host, port)
    # Links in mail and feeds follow the address served (port 0: the port the system chose) unless ELO_BASE_URL.
    address = served_url(host, listener.getsockname()[1])
    settings = settings_or_exit(served_at=address)
    migrate_all(settings)
    demo_marker = settings.data_dir / ".demo-loaded"
    if demo and not demo_marker.exists():
        load_demo(settings)
        demo_marker.touch()
        click.echo("Demo content loaded.")
    wsgi = embedded_wsgi(settings)
    broker = get_broker()
    import_actors()
    import_jobs()
    if settings.embedded_broker:
        # The in-memory broker starts empty: whatever was not acknowledged before goes again.
        for _name, database in service_databases():
            for _network in each_network():
                forget_relays(database)
                sweep(database, resend_after=settings.outbox_resend_after, include_fresh=True)
    worker = Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    # Threads of their own for the mail people wait for (confirmations, registrations): a large issue's
    # batches may take every thread of the first worker for as long as a batch lasts.
    mail_worker = Worker(broker, queues={MAIL_QUEUE}, worker_threads=2, worker_timeout=100)
    mail_worker.start()
    scheduler = SchedulerLoop(scheduler_steps(settings))
    scheduler_thread = threading.Thread(target=scheduler.run, name="elo-scheduler", daemon=True)
    scheduler_thread.start()
    # With ELO_PROXY_HOPS the X-Forwarded-* headers reach ProxyFix (embedded_wsgi), which trusts exactly
    # that many proxies; waitress would otherwise drop them before the app sees them.
    server = create_server(wsgi, sockets=[listener], threads=8, clear_untrusted_proxy_headers=not settings.proxy_hops)
    stop_inbound = start_if_configured(settings, host)  # ELO_INBOUND_PORT: bounces, complaints, mailed unsubscribes
    _stop_on_sigterm()
    click.echo(f"ELO network is running at {address}/  (Ctrl-C stops it)")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopping…")
    finally:
        server.close()
        stop_inbound()
        scheduler.stop()
        scheduler_thread.join(timeout=5)
        worker.stop(timeout=10_000)
        mail_worker.stop(timeout=10_000)
        for _name, database in service_databases():
            database.dispose()
    click.echo("Stopped.")


def embedded_wsgi(settings: Settings) -> Any:
    """The whole URL space of `elo up`, trusting ELO_PROXY_HOPS proxies in front as production does."""
    from services.gateway import create_gateway
    from services.wsgi import behind_proxies

    wsgi, _apps = create_gateway({"ELO_SETTINGS": settings}, embedded=True)
    return behind_proxies(wsgi, settings.proxy_hops)


def _bind_or_exit(host: str, port: int) -> socket.socket:
    """The socket `elo up` serves on, bound before any work (port 0: a free port, read back). A second
    `make run` while the first still runs: say so in one line."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        click.echo(f"elo: cannot serve on host {host!r} ({error.strerror})", err=True)
        sys.exit(2)
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does
    try:
        listener.bind(address)
    except OSError as error:
        listener.close()
        click.echo(f"elo: port {port} on {host} is in use ({error.strerror}). Is ELO already running? "
                   f"Stop it, or choose another port: make run PORT={port + 1}, or elo up --port {port + 1}",
                   err=True)
        sys.exit(2)
    return listener


def _stop_on_sigterm() -> None:
    def raise_interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, raise_interrupt)


@main.command()
@click.option("--processes", default=1, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--queues", default="", metavar="NAME,…",
              help=f"Only these queues (default: all). `--queues {MAIL_QUEUE}`: a worker that only sends the "
                   "mail people wait for, so large issues never hold it up.")
def worker(processes: int, threads: int, queues: str) -> None:
    """Run dramatiq worker processes for every service's actors."""
    settings = settings_or_exit(production=True)
    if settings.embedded_broker:
        click.echo("elo: setting ELO_BROKER_URL: a separate worker needs amqp:// or redis:// "
                   "(the embedded run has its worker inside `elo up`)", err=True)
        sys.exit(2)
    args = [sys.executable, "-m", "dramatiq", "services.worker", "--processes", str(processes),
            "--threads", str(threads)]
    if queues.strip():
        args += ["--queues", *(name.strip() for name in queues.split(",") if name.strip())]
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with dramatiq's own runner


@main.command()
@click.option("--interval", default=1.0, show_default=True, type=float, help="Seconds between ticks.")
def scheduler(interval: float) -> None:
    """Run due jobs and re-send unacknowledged messages, until stopped."""
    from services.gateway import create_gateway
    from shared.broker import get_broker
    from shared.scheduler import SchedulerLoop

    settings = settings_or_exit(production=True)
    create_gateway({"ELO_SETTINGS": settings})
    get_broker()
    import_actors()
    import_jobs()
    loop = SchedulerLoop(scheduler_steps(settings), interval=interval)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo("Scheduler running.")
    loop.run()
    click.echo("Scheduler stopped.")


def _add_service_commands() -> None:
    for info in SERVICES:
        try:
            module = importlib.import_module(f"{info.package}.commands")
        except ModuleNotFoundError as error:
            if error.name != f"{info.package}.commands":
                raise
            continue
        for command in module.commands:
            main.add_command(command)


_add_service_commands()
add_commands(main, settings_or_exit, migrate_all)
add_account_commands(main, settings_or_exit, migrate_all)

from services.backup import backup_command, restore_command  # noqa: E402 - the commands join the group last

main.add_command(backup_command)
main.add_command(restore_command)


if __name__ == "__main__":
    main()
