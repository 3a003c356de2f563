"""Getting bytes to the SMTP relay: pooled persistent connections, STARTTLS, auth, timeouts.

Failures are sorted: `TransientError` (4xx replies, refused or dropped connections, timeouts) is
worth retrying; `PermanentError` (5xx replies) is not. Neither message holds an address.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from typing_extensions import Buffer

log = logging.getLogger(__name__)

IDLE_CHECK_AFTER = 30.0  # seconds: a connection idle longer is checked with NOOP before use
MESSAGES_PER_CONNECTION = 500  # relays often limit this; reconnect before they do


class DeliveryError(Exception):
    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class TransientError(DeliveryError):
    """Try again later: the relay is busy or away, or the connection dropped."""


class PermanentError(DeliveryError):
    """The relay refused the message for good (5xx)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    implicit_tls: bool
    timeout: float
    verify_tls: bool

    @classmethod
    def from_url(cls, url: str, timeout: float = 20.0) -> SmtpConfig:
        parts = urlsplit(url)
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            starttls=options.get("starttls", "0").lower() in ("1", "true", "yes"),
            implicit_tls=implicit_tls,
            timeout=float(options.get("timeout", timeout)),
            verify_tls=options.get("verify", "1").lower() not in ("0", "false", "no"),
        )

    def __repr__(self) -> str:  # never show the password
        return f"SmtpConfig(host={self.host!r}, port={self.port}, starttls={self.starttls})"


def _dot_stuffed(data: bytes) -> bytes:
    """RFC 5321 4.5.2: a line that starts with "." gets another. Most messages have none, and the
    search for one is much cheaper than smtplib's regex pass over every message."""
    if not data.startswith(b".") and b"\n." not in data:
        return data
    return re.sub(rb"(?m)^\.", b"..", data)


def _data(smtp: smtplib.SMTP, message: bytes) -> tuple[int, bytes]:
    """smtplib's DATA for a message in bytes with SMTP line endings."""
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    ending = b".\r\n" if message.endswith(b"\r\n") else b"\r\n.\r\n"
    smtp.send(_dot_stuffed(message) + ending)  # one write: a separate small one could wait on Nagle
    return smtp.getreply()


class _SMTP(smtplib.SMTP):
    def data(self, msg: Buffer | str) -> tuple[int, bytes]:
        return _data(self, msg) if isinstance(msg, bytes) else super().data(msg)


class _SMTP_SSL(smtplib.SMTP_SSL):  # noqa: N801 - named after smtplib's class
    def data(self, msg: Buffer | str) -> tuple[int, bytes]:
        return _data(self, msg) if isinstance(msg, bytes) else super().data(msg)


class _Connection:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp = self._open()
        self.sent = 0
        self.last_used = time.monotonic()

    def _open(self) -> smtplib.SMTP:
        config = self.config
        smtp: smtplib.SMTP
        if config.implicit_tls:
            smtp = _SMTP_SSL(config.host, config.port, timeout=config.timeout, context=self._tls_context())
        else:
            smtp = _SMTP(config.host, config.port, timeout=config.timeout)
        try:
            smtp.ehlo()
            if config.starttls:
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password or "")
        except BaseException:
            with contextlib.suppress(Exception):
                smtp.close()
            raise
        return smtp

    def _tls_context(self) -> ssl.SSLContext:
        """Made only when TLS is used: loading the system's certificates takes tens of milliseconds."""
        context = ssl.create_default_context()
        if not self.config.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def alive(self) -> bool:
        if time.monotonic() - self.last_used < IDLE_CHECK_AFTER:
            return True
        try:
            return self.smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.smtp.quit()
        with contextlib.suppress(Exception):
            self.smtp.close()


class SmtpTransport:
    """A pool of persistent SMTP connections shared by a process's worker threads."""

    def __init__(self, config: SmtpConfig, max_idle: int = 16) -> None:
        self.config = config
        self._idle: queue.LifoQueue[_Connection] = queue.LifoQueue(maxsize=max_idle)

    def send(self, mail_from: str, recipients: Sequence[str], data: bytes) -> str:
        """Deliver `data`; returns the relay's reply. Raises TransientError or PermanentError."""
        try:
            connection = self._take()
        except smtplib.SMTPResponseException as error:
            raise _classified(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientError(f"cannot connect to the SMTP relay: {type(error).__name__}: {error}") from error
        try:
            refused = connection.smtp.sendmail(mail_from, list(recipients), data)
        except smtplib.SMTPRecipientsRefused as error:
            self._give_back(connection)
            code, reply = next(iter(error.recipients.values()))
            raise _classified(code, reply) from error
        except smtplib.SMTPResponseException as error:
            self._discard(connection) if error.smtp_code in (421,) else self._give_back_after_reset(connection)
            raise _classified(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, OSError) as error:
            self._discard(connection)
            raise TransientError(f"connection to the SMTP relay failed: {type(error).__name__}: {error}") from error
        if refused:
            code, reply = next(iter(refused.values()))
            self._give_back(connection)
            raise _classified(code, reply)
        connection.sent += 1
        self._give_back(connection)
        return "250 OK"

    def _take(self) -> _Connection:
        while True:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                return _Connection(self.config)
            if connection.alive():
                return connection
            connection.close()

    def _give_back(self, connection: _Connection) -> None:
        connection.last_used = time.monotonic()
        if connection.sent >= MESSAGES_PER_CONNECTION:
            connection.close()
            return
        try:
            self._idle.put_nowait(connection)
        except queue.Full:
            connection.close()

    def _give_back_after_reset(self, connection: _Connection) -> None:
        try:
            connection.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._discard(connection)
            return
        self._give_back(connection)

    def _discard(self, connection: _Connection) -> None:
        connection.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def _classified(code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    summary = f"{code} {' '.join(text.split())}"[:500]
    if 500 <= code < 600:
        return PermanentError(summary)
    return TransientError(summary)


_transports: dict[str, SmtpTransport] = {}
_transports_lock = threading.Lock()


def smtp_transport(url: str) -> SmtpTransport:
    """The process's pool for `url` (one per relay)."""
    with _transports_lock:
        transport = _transports.get(url)
        if transport is None:
            transport = _transports[url] = SmtpTransport(SmtpConfig.from_url(url))
        return transport


def close_transports() -> None:
    with _transports_lock:
        for transport in _transports.values():
            transport.close()
        _transports.clear()


@contextlib.contextmanager
def closing_transports() -> Iterator[None]:
    try:
        yield
    finally:
        close_transports()
