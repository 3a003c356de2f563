"""Reading what comes back: RFC 3464 delivery status notifications and RFC 5965 complaint reports.

Only the machine-readable parts are read (message/delivery-status, message/feedback-report and the
returned original's headers); the human-readable text differs between Postfix, Exim, Gmail and
Microsoft, the fields do not.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser

# RFC 3463: class.subject.detail. A DSN's Status may be generic (Exim writes 5.0.0) while its
# Diagnostic-Code carries the remote server's specific code ("550 5.1.1 … User unknown").
STATUS_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# Permanent failures that say the address itself is gone: 5.1.x (no such mailbox or domain, bad
# syntax) and 5.2.1 (mailbox disabled). Other permanent failures (a full mailbox, a policy or spam
# refusal, a message too large) may pass; they count as soft bounces.
HARD_SUBJECTS = {("1", None), ("2", "1")}


class Outcome(enum.Enum):
    HARD = "hard-bounce"
    SOFT = "soft-bounce"


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a DSN that reports a failure or a delay."""

    outcome: Outcome
    status: str
    recipient: str | None
    diagnostic: str | None


@dataclass
class Report:
    """What a received message is: a DSN (`failures`), a complaint, or neither (`kind` None)."""

    kind: str | None  # "dsn" | "complaint" | None
    failures: list[RecipientStatus] = field(default_factory=list)
    feedback_type: str | None = None
    # Envelope senders the report names: where a complaint's original came from (our bounce address)
    envelope_senders: list[str] = field(default_factory=list)

    @property
    def worst(self) -> RecipientStatus | None:
        """The failure that matters most: a hard bounce before a soft one."""
        hard = [failure for failure in self.failures if failure.outcome is Outcome.HARD]
        ordered = hard or self.failures
        return ordered[0] if ordered else None


def parse_message(data: bytes) -> Message:
    return message_from_bytes(data, policy=policy.compat32)


def read_report(message: Message) -> Report:
    if message.get_content_type() != "multipart/report":
        return Report(None)
    report_type = (message.get_param("report-type") or "").lower()  # type: ignore[union-attr]
    if report_type == "delivery-status":
        return _delivery_status(message)
    if report_type == "feedback-report":
        return _feedback(message)
    return Report(None)


def _delivery_status(message: Message) -> Report:
    report = Report("dsn")
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = _blocks(part)
            for block in blocks[:1]:
                report.envelope_senders.extend(_addresses(block, "X-Postfix-Sender"))
            report.failures.extend(status for block in blocks[1:] if (status := _recipient_status(block)))
    report.envelope_senders.extend(_original_senders(message))
    return report


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part: per-message first, then one per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list) and all(isinstance(item, Message) for item in payload):
        return list(payload)
    text = payload if isinstance(payload, str) else ""
    chunks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [HeaderParser().parsestr(chunk) for chunk in chunks if chunk.strip()]


def _recipient_status(block: Message) -> RecipientStatus | None:
    action = (block.get("Action") or "").strip().lower()
    if action not in ("failed", "delayed"):
        return None  # delivered, relayed, expanded: nothing went wrong
    status = _code(block.get("Status")) or "5.0.0"
    diagnostic = _one_line(block.get("Diagnostic-Code"))
    specific = _code(diagnostic)
    if specific and specific[0] == status[0] and status.endswith(".0.0"):
        status = specific
    return RecipientStatus(outcome=_outcome(action, status), status=status,
                           recipient=_address_of(block.get("Final-Recipient") or block.get("Original-Recipient")),
                           diagnostic=diagnostic)


def _outcome(action: str, status: str) -> Outcome:
    code_class, subject, detail = status.split(".")
    hard = code_class == "5" and action == "failed" and (
        (subject, None) in HARD_SUBJECTS or (subject, detail) in HARD_SUBJECTS)
    return Outcome.HARD if hard else Outcome.SOFT


def _feedback(message: Message) -> Report:
    report = Report("complaint")
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            fields = _blocks(part)
            first = fields[0] if fields else Message()
            report.feedback_type = (first.get("Feedback-Type") or "abuse").strip().lower()
            report.envelope_senders.extend(_addresses(first, "Original-Mail-From"))
    report.envelope_senders.extend(_original_senders(message))
    return report


def _original_senders(message: Message) -> list[str]:
    """The Return-Path of the returned original (message/rfc822 or text/rfc822-headers), if it has one."""
    found: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            originals = payload if isinstance(payload, list) else []
        elif content_type == "text/rfc822-headers":
            originals = [HeaderParser().parsestr(_text(part))]
        else:
            continue
        for original in originals:
            if isinstance(original, Message):
                found.extend(_addresses(original, "Return-Path"))
    return found


def _addresses(block: Message, *names: str) -> list[str]:
    return [address for name in names if (address := _address_of(block.get(name)))]


def _address_of(value: str | None) -> str | None:
    """`rfc822; someone@example.fi` or `<someone@example.fi>` → `someone@example.fi`."""
    if not value:
        return None
    text = str(value).rpartition(";")[2] if ";" in str(value) else str(value)
    text = text.strip().strip("<>").strip()
    return text if "@" in text else None


def _code(value: str | None) -> str | None:
    found = STATUS_CODE.search(str(value or ""))
    return ".".join(found.groups()) if found else None


def _one_line(value: str | None) -> str | None:
    return " ".join(str(value).split())[:500] if value else None


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return str(part.get_payload())
