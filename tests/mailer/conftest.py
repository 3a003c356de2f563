"""Mailer fixtures: point the mailer app at an SMTP server, send messages through the real broker."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from dramatiq import Broker
from flask import Flask

if TYPE_CHECKING:
    from werkzeug.test import Client

from shared.auth import service_token
from shared.broker import send
from shared.contract import SEND_BATCH, SEND_EMAIL
from shared.settings import Settings
from tests.conftest import TEST_SECRET_KEY


@pytest.fixture
def client(client: Client) -> Client:
    """The root `client`, its requests coming from this machine (127.0.0.1) as a local browser's do: the
    test mailbox answers only such a client or a logged-in coordinator. (werkzeug's test client sends no
    client address of its own.)"""
    from werkzeug.test import Client as TestClient

    app = client.application

    def on_this_machine(environ: dict[str, Any], start_response: Any) -> Any:
        return app({"REMOTE_ADDR": "127.0.0.1", **environ}, start_response)

    return TestClient(on_this_machine)


def use_mail_settings(apps: dict[str, Flask], **changes: Any) -> Settings:
    """Change the mailer app's settings (e.g. smtp_url) for this test."""
    app = apps["mailer"]
    settings: Settings = dataclasses.replace(app.config["ELO_SETTINGS"], **changes)
    app.config["ELO_SETTINGS"] = settings
    app.extensions.pop("elo_mailer_config", None)
    return settings


@pytest.fixture
def send_email(broker: Broker) -> Callable[[dict[str, Any]], None]:
    def enqueue(payload: dict[str, Any]) -> None:
        send(broker, actor_name=SEND_EMAIL.actor, queue_name=SEND_EMAIL.queue, args=(payload,))

    return enqueue


@pytest.fixture
def send_batch(broker: Broker) -> Callable[[dict[str, Any]], None]:
    def enqueue(payload: dict[str, Any]) -> None:
        send(broker, actor_name=SEND_BATCH.actor, queue_name=SEND_BATCH.queue, args=(payload,))

    return enqueue


def email_request(key: str = "test-message:1", *, email: str = "maija@example.fi", name: str | None = "Maija",
                  language: str = "fi", list_mail: bool = False, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "idempotency_key": key,
        "template": "mailer-test-message",
        "language": language,
        "recipient": {"email": email, "name": name},
        "context": {"sent_by": "Koordinaattori", "sent_at": "2026-11-22T07:00:00+00:00"},
        "origin": "tests",
    }
    if list_mail:
        payload["list_headers"] = {"list_id": "uutiskirje.elo.example", "unsubscribe_url":
                                   f"https://elo.example/newsletter/unsubscribe/tok-{key}",
                                   "unsubscribe_mailto": "unsubscribe@elo.example"}
    payload.update(extra)
    return payload


BOUNCE_SECRET = "bounce-secret-for-tests"


def batch(campaign: str, addresses: list[str], language: str = "fi") -> dict[str, Any]:
    return {
        "campaign": campaign,
        "template": "mailer-test-message",
        "language": language,
        "context": {"sent_by": "Toimitus", "sent_at": "2026-11-22T07:00:00+00:00"},
        "recipients": [{
            "idempotency_key": f"{campaign}:{address}",
            "email": address,
            "name": f"Henkilö {index}",
            "substitutions": {"preferences_url": f"https://elo.example/newsletter/preferences/p{index}"},
            "list_headers": {"list_id": "uutiskirje.elo.example",
                             "unsubscribe_url": f"https://elo.example/newsletter/unsubscribe/u{index}"},
        } for index, address in enumerate(addresses)],
        "origin": "tests",
    }


def service_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {service_token(TEST_SECRET_KEY)}"}


def bounce(client: Client, email: str, kind: str = "hard-bounce", secret: str = BOUNCE_SECRET) -> Any:
    return client.post("/mailer/api/v1/bounces", json={"email": email, "type": kind},
                       headers={"Authorization": f"Bearer {secret}"})


@dataclasses.dataclass
class ScriptedSink:
    """A real SMTP server whose DATA replies follow a script, then accept ("250 OK")."""

    host: str
    port: int
    replies: list[str]
    attempts: int = 0
    messages: list[EmailMessage] = dataclasses.field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.attempts += 1
        await asyncio.sleep(0)
        if self.replies:
            return self.replies.pop(0)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


def smtp_controller(handler: Any, **options: Any) -> Any:
    """An aiosmtpd server on 127.0.0.1 at a port the system picks (port 0); `.port` is read back from
    the listening socket before the server is started, so no port is picked, released and raced for."""
    from aiosmtpd.controller import Controller

    class PortZeroController(Controller):
        def _create_server(self) -> Any:
            return self._listen()

        async def _listen(self) -> Any:
            server = await super()._create_server()
            self.port = server.sockets[0].getsockname()[1]
            return server

    controller = PortZeroController(handler, hostname="127.0.0.1", port=0, **options)
    controller.start()
    return controller


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound (port 0, read back) but not listening, held
    for the test so nothing else can take it."""
    import socket

    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


@pytest.fixture
def scripted_sink() -> Iterator[ScriptedSink]:
    sink = ScriptedSink("127.0.0.1", 0, [])
    controller = smtp_controller(sink)
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An RSA key file and the DNS TXT record that publishes its public half."""
    directory = tmp_path_factory.mktemp("dkim")
    private = directory / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True)
    public_der = subprocess.run(["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True,
                                capture_output=True).stdout
    import base64

    return private, "v=DKIM1; k=rsa; p=" + base64.b64encode(public_der).decode()


@pytest.fixture(autouse=True)
def _close_smtp_connections() -> Iterator[None]:
    """Pooled SMTP connections outlive a test's server; close them with it."""
    from services.mailer.transport import close_transports

    yield
    close_transports()
