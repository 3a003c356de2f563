"""Commands the mailer service adds to `elo`."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click


@click.command("inbound")
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 - the mail server reaches it
@click.option("--lmtp", is_flag=True, help="Speak LMTP (from a local mail server) instead of SMTP.")
def inbound(host: str, lmtp: bool) -> None:
    """Receive mail on ELO_INBOUND_PORT: bounces, complaint reports, mailed unsubscribes; forward the rest."""
    from services.mailer import create_app
    from services.mailer.inbound import start_listener
    from shared.broker import get_broker
    from shared.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as error:
        click.echo(f"elo: setting {error}", err=True)
        sys.exit(2)
    if settings.inbound_port is None:
        click.echo("elo: setting ELO_INBOUND_PORT: not set; it is the port to receive mail on", err=True)
        sys.exit(2)
    create_app({"ELO_SETTINGS": settings})  # binds the mailer's database
    get_broker()
    stopped = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    listener = start_listener(settings, host=host, lmtp=lmtp)
    click.echo(f"Receiving mail ({'LMTP' if lmtp else 'SMTP'}) on {host}:{listener.port}")
    stopped.wait()
    listener.stop()
    click.echo("Inbound stopped.")


commands = [inbound]
