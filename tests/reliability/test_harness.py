"""The harness itself: the SMTP sink survives stop/start on one port and counts per recipient."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from tests.reliability.conftest import SmtpSinkProcess


def send(sink: SmtpSinkProcess, *recipients: str) -> None:
    message = EmailMessage()
    message["From"] = "noreply@example.org"
    message["To"] = ", ".join(recipients)
    message["Subject"] = "Hei"
    message.set_content("Tervetuloa")
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
        smtp.send_message(message)


def test_sink_counts_per_recipient_across_a_restart(smtp_sink_process: SmtpSinkProcess) -> None:
    send(smtp_sink_process, "a@example.org", "b@example.org")
    smtp_sink_process.stop()
    with pytest.raises(ConnectionRefusedError):
        send(smtp_sink_process, "a@example.org")
    smtp_sink_process.start()
    send(smtp_sink_process, "A@example.org")

    assert len(smtp_sink_process.wait_for(2, timeout=10)) == 2
    assert smtp_sink_process.counts() == {"a@example.org": 2, "b@example.org": 1}
    assert smtp_sink_process.to("b@example.org")[0]["Subject"] == "Hei"


def test_sink_can_refuse_for_a_while(smtp_sink_process: SmtpSinkProcess) -> None:
    smtp_sink_process.restart(reply="451 4.3.0 Try again later")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(smtp_sink_process, "a@example.org")
    assert refused.value.smtp_code == 451
    smtp_sink_process.restart()
    send(smtp_sink_process, "a@example.org")
    assert smtp_sink_process.counts() == {"a@example.org": 1}
