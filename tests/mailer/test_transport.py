"""SMTP transport against a real aiosmtpd server: pooled connections, STARTTLS, AUTH, reply classes."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from services.mailer.transport import PermanentError, SmtpConfig, SmtpTransport, TransientError
from tests.mailer.conftest import smtp_controller

MESSAGE = b"From: a@elo.example\r\nTo: b@example.fi\r\nSubject: t\r\n\r\nhello\r\n"


@dataclass
class Relay:
    port: int
    ehlos: int = 0
    delivered: int = 0
    logins: list[str] = field(default_factory=list)
    rcpt_reply: str | None = None
    contents: list[bytes] = field(default_factory=list)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802 - aiosmtpd
                          responses: list[str]) -> list[str]:
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802 - aiosmtpd
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd
        self.delivered += 1
        self.contents.append(envelope.original_content)
        return "250 OK"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    return key, cert


@pytest.fixture
def relay(certificate: tuple[Path, Path]) -> Iterator[Relay]:
    from aiosmtpd.smtp import AuthResult

    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    handler = Relay(0)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = auth_data.login == b"elo" and auth_data.password == b"s3cret/pass"
        if ok:
            handler.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    controller = smtp_controller(handler, tls_context=context, require_starttls=True, authenticator=authenticate,
                                 auth_required=True)
    handler.port = controller.port
    yield handler
    controller.stop()


def test_starttls_auth_and_one_pooled_connection(relay: Relay) -> None:
    url = f"smtp://elo:s3cret%2Fpass@127.0.0.1:{relay.port}?starttls=1&verify=0"
    transport = SmtpTransport(SmtpConfig.from_url(url))
    try:
        for _ in range(3):
            transport.send("a@elo.example", ["b@example.fi"], MESSAGE)
    finally:
        transport.close()
    assert relay.delivered == 3
    assert relay.logins == ["elo"]  # logged in once: the connection was kept and reused
    assert relay.ehlos == 2  # before and after STARTTLS, once


@pytest.mark.parametrize("body", [
    b"hello\r\n", b".starts with a dot\r\n..two\r\nmiddle . dot\r\n.\r\n", b"no final line break"])
def test_lines_starting_with_a_dot_arrive_intact(relay: Relay, body: bytes) -> None:
    url = f"smtp://elo:s3cret%2Fpass@127.0.0.1:{relay.port}?starttls=1&verify=0"
    transport = SmtpTransport(SmtpConfig.from_url(url))
    message = MESSAGE.split(b"\r\n\r\n")[0] + b"\r\n\r\n" + body
    try:
        transport.send("a@elo.example", ["b@example.fi"], message)
    finally:
        transport.close()
    expected = message if message.endswith(b"\r\n") else message + b"\r\n"
    assert relay.contents == [expected]


def test_refused_recipient_replies_are_classified(relay: Relay) -> None:
    url = f"smtp://elo:s3cret%2Fpass@127.0.0.1:{relay.port}?starttls=1&verify=0"
    transport = SmtpTransport(SmtpConfig.from_url(url))
    try:
        relay.rcpt_reply = "550 5.1.1 No such user"
        with pytest.raises(PermanentError, match=r"550 5\.1\.1 No such user"):
            transport.send("a@elo.example", ["b@example.fi"], MESSAGE)
        relay.rcpt_reply = "452 4.2.2 Mailbox full"
        with pytest.raises(TransientError, match="452"):
            transport.send("a@elo.example", ["b@example.fi"], MESSAGE)
        relay.rcpt_reply = None
        transport.send("a@elo.example", ["b@example.fi"], MESSAGE)
    finally:
        transport.close()
    assert relay.delivered == 1


def test_no_server_is_transient_and_the_password_never_shows(refusing_port: int) -> None:
    config = SmtpConfig.from_url(f"smtp://elo:topsecret@127.0.0.1:{refusing_port}?timeout=2")
    with pytest.raises(TransientError, match="cannot connect") as raised:
        SmtpTransport(config).send("a@elo.example", ["b@example.fi"], MESSAGE)
    assert "topsecret" not in str(raised.value)
    assert "topsecret" not in repr(config)
