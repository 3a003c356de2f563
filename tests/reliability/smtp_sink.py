"""An SMTP sink in its own process: `python -m tests.reliability.smtp_sink --port P --directory D`.

Every accepted message is written to D as `<ns>-<uuid>.eml`, with the envelope recipients in an
`X-Sink-Rcpt-To` header placed first. Files appear atomically (written, then renamed), so a
reader never sees half a message. `--reply "451 4.3.0 Try later"` answers every DATA with that
line instead of accepting (a relay that refuses for a while). Stops cleanly on SIGTERM.

Used by `tests/reliability/conftest.py` (`SmtpSinkProcess`), which can stop it and start it again
on the same port to play "the SMTP relay is down for 30 s".
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

RECIPIENTS_HEADER = "X-Sink-Rcpt-To"


class WriteToDirectory:
    def __init__(self, directory: Path, reply: str | None) -> None:
        self.directory = directory
        self.reply = reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.reply:
            return self.reply
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        header = f"{RECIPIENTS_HEADER}: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(header + content)
        partial.rename(self.directory / f"{name}.eml")
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="bound with SO_REUSEPORT: the test holds it")
    parser.add_argument("--directory", type=Path, required=True)
    parser.add_argument("--reply", default=None, help="answer every DATA with this SMTP reply line")
    args = parser.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(WriteToDirectory(args.directory, args.reply), args.host, args.port))


async def serve(handler: WriteToDirectory, host: str, port: int) -> None:
    """aiosmtpd's SMTP protocol on an asyncio server until SIGTERM or SIGINT."""
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), host, port, reuse_port=True)
    stopped = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    print(f"smtp sink listening on {host}:{port}", flush=True)  # noqa: T201 - readiness line
    await stopped.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    main()
