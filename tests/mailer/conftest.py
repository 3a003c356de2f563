"""Mailer fixtures: point the mailer app at an SMTP server, send messages through the real broker."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from dramatiq import Broker
from flask import Flask

from shared.broker import send
from shared.contract import SEND_BATCH, SEND_EMAIL
from shared.settings import Settings
from tests.conftest import free_port


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
        send(broker, actor_name=SEND_EMAIL[0], queue_name=SEND_EMAIL[1], args=(payload,))

    return enqueue


@pytest.fixture
def send_batch(broker: Broker) -> Callable[[dict[str, Any]], None]:
    def enqueue(payload: dict[str, Any]) -> None:
        send(broker, actor_name=SEND_BATCH[0], queue_name=SEND_BATCH[1], args=(payload,))

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


@pytest.fixture
def scripted_sink() -> Iterator[ScriptedSink]:
    from aiosmtpd.controller import Controller

    sink = ScriptedSink("127.0.0.1", free_port(), [])
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
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
