"""CSV import of subscribers: validate every row, report bad rows by number, upsert the rest in bulk.

Columns (header row, any order, `,` or `;` separated, UTF-8 with or without BOM):
  email (required), name, organisation, language (fi|sv|en, default fi), topics (newsletter events
  trainings, separated by spaces, `|`, `,` or `;`; default newsletter), consent_at (ISO date of a
  recorded prior consent: such rows are confirmed at once; without it the person gets a confirmation email).
The export's further columns are read too, so its file imports back unchanged: status (unsubscribed,
bounced and complained rows are stored as such and get no email; pending stays pending), unsubscribed_at;
created_at is ignored. Cells that the export protected from spreadsheets ('=…) are read back as written.

Row numbers are spreadsheet rows: the header is row 1. An existing subscriber's status, language and
topics are never changed by an import (their own choices win); only a pending one with a recorded
consent becomes confirmed, and a missing name or organisation is filled in. So a second import of
the same file changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app
from marshmallow import ValidationError, validate
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from services.subscriptions.subscribers import emails
from services.subscriptions.subscribers.models import (
    SUBSCRIBER_LANGUAGES,
    TOPICS,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Subscriber,
    SubscriberStatus,
    SubscriberTopic,
    Suppression,
)
from services.subscriptions.subscribers.operations.bulk import bulk_insert, one_of, parsed_ahead, unnest_insert
from services.subscriptions.subscribers.operations.listing import EXPORT_COLUMNS, IMPORT_COLUMNS
from shared.csvfile import plain_cell
from shared.db import utcnow
from shared.errors import InvalidInput
from shared.privacy import normalise_email

COLUMNS = IMPORT_COLUMNS
DEPARTED = {SubscriberStatus.UNSUBSCRIBED: ConsentAction.UNSUBSCRIBE, SubscriberStatus.BOUNCED: ConsentAction.BOUNCE,
            SubscriberStatus.COMPLAINED: ConsentAction.COMPLAINT}
IMPORT_WORDING = "import"
CHUNK = 2500  # rows per round of statements (and per progress step)
_TOPIC_SPLIT = re.compile(r"[\s|,;]+")
_email_validator = validate.Email()
_SUBSCRIBERS_TABLE = cast(Table, Subscriber.__table__)
_TOPICS_TABLE = cast(Table, SubscriberTopic.__table__)
_CONSENT_TABLE = cast(Table, ConsentEvent.__table__)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass(frozen=True)
class ImportRow:
    row: int
    email: str
    email_hash: str
    name: str | None
    organisation: str | None
    language: str
    topics: tuple[str, ...]
    consent_at: dt.datetime | None
    status: SubscriberStatus = SubscriberStatus.PENDING  # what a new subscriber of this row becomes
    unsubscribed_at: dt.datetime | None = None


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    confirmed: int = 0
    updated: int = 0
    unchanged: int = 0
    confirmation_emails: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "created": self.created, "confirmed": self.confirmed, "updated": self.updated,
                "unchanged": self.unchanged, "confirmation_emails": self.confirmation_emails,
                "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors]}


# --- parsing ------------------------------------------------------------------------------------

def parse_csv(text: str, secret_key: str, default_language: str = "fi") -> tuple[list[ImportRow], list[RowError], int]:
    """(valid rows, row errors, number of data rows). A bad header is an `InvalidInput` for the whole file."""
    parsed = ParsedFile(text, secret_key, default_language)
    valid = list(parsed.rows())
    return valid, parsed.errors, parsed.count


class ParsedFile:
    """The file's header, checked at once (`InvalidInput`); `rows()` then yields the valid rows in order
    while `errors` and `count` fill up (complete when `rows()` is exhausted)."""

    def __init__(self, text: str, secret_key: str, default_language: str = "fi") -> None:
        text = text.removeprefix("\ufeff")
        if not text.strip():
            raise InvalidInput("The file is empty.", errors={"file": ["The file is empty."]})
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        self._reader = _rows(csv.reader(io.StringIO(text), delimiter=delimiter))
        self._header = [name.strip().lower() for name in next(self._reader)]
        _check_header(self._header)
        self._secret_key, self._default_language = secret_key, default_language
        self.errors: list[RowError] = []
        self.count = 0

    def rows(self) -> Iterator[ImportRow]:
        header, seen = self._header, dict[str, int]()
        for line_number, values in enumerate(self._reader, start=2):
            if not any(value.strip() for value in values):
                continue
            self.count += 1
            cells = {name: plain_cell(value) for name, value in zip(header, values, strict=False)}
            parsed = _parse_row(line_number, cells, self._secret_key, self._default_language,
                                len(values) == len(header))
            if isinstance(parsed, RowError):
                self.errors.append(parsed)
            elif parsed.email_hash in seen:
                first = seen[parsed.email_hash]
                self.errors.append(RowError(line_number, "email", f"The same address is already on row {first}."))
            else:
                seen[parsed.email_hash] = line_number
                yield parsed


def _rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The reader's rows; a row it cannot read (a cell over 128 KB, a stray NUL) is an InvalidInput naming it."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            number = getattr(reader, "line_num", 0) or 1
            message = f"Row {number} cannot be read: a cell is over 128 KB or the file is not CSV."
            raise InvalidInput(message, errors={"file": [message]}) from error
        yield row


def _check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in EXPORT_COLUMNS]
    if unknown:
        raise InvalidInput(f"Unknown columns: {', '.join(unknown)}. Use: {', '.join(COLUMNS)}.",
                           errors={"columns": [f"Unknown column '{name}'." for name in unknown]})
    if "email" not in header:
        raise InvalidInput("The file has no 'email' column.", errors={"columns": ["The 'email' column is missing."]})


class _RowProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _parse_row(number: int, values: dict[str, str], secret_key: str, default_language: str,
               complete: bool) -> ImportRow | RowError:
    try:
        if not complete:
            raise _RowProblem("row", "The row has a different number of columns than the header.")
        email = _email(values.get("email", ""))
        name = _text(values, "name")
        organisation = _text(values, "organisation")
        language = (values.get("language") or "").strip().lower() or default_language
        if language not in SUBSCRIBER_LANGUAGES:
            raise _RowProblem("language", "Use fi, sv or en.")
        topics = _topics(values.get("topics") or "")
        consent = _moment(values, "consent_at")
        status = _status(values.get("status") or "", consent)
        left = (_moment(values, "unsubscribed_at") or utcnow()) if status == SubscriberStatus.UNSUBSCRIBED else None
    except _RowProblem as problem:
        return RowError(number, problem.field, problem.message)
    return ImportRow(number, email, _hash(secret_key, email), name, organisation, language, topics, consent,
                     status, left)


def _hash(secret_key: str, email: str) -> str:
    """`shared.privacy.email_hash` of an address already normalised, in one call (the import hashes every row)."""
    return hmac.digest(secret_key.encode(), email.encode(), "sha256").hex()


def _email(value: str) -> str:
    email = normalise_email(value)
    if not email:
        raise _RowProblem("email", "The address is missing.")
    if len(email) > 254:
        raise _RowProblem("email", "The address is too long.")
    try:
        _email_validator(email)
    except ValidationError as error:
        raise _RowProblem("email", "Not a valid email address.") from error
    return email


def _text(values: dict[str, str], column: str) -> str | None:
    text = (values.get(column) or "").strip() or None
    if text and len(text) > 200:
        raise _RowProblem(column, "Longer than 200 characters.")
    return text


def _topics(value: str) -> tuple[str, ...]:
    topics = tuple(sorted({t for t in _TOPIC_SPLIT.split(value.strip().lower()) if t})) or ("newsletter",)
    wrong = [t for t in topics if t not in TOPICS]
    if wrong:
        raise _RowProblem("topics", f"Unknown topic: {', '.join(wrong)}. Use newsletter, events or trainings.")
    return topics


def _moment(values: dict[str, str], column: str) -> dt.datetime | None:
    value = (values.get(column) or "").strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise _RowProblem(column, "Not a date; write it as 2025-03-31.") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if moment > utcnow():
        raise _RowProblem(column, "The consent date is in the future." if column == "consent_at"
                          else "The date is in the future.")
    return moment


def _status(value: str, consent: dt.datetime | None) -> SubscriberStatus:
    """A recorded consent confirms, unless the export's status says the person is pending or has left."""
    value = value.strip().lower()
    if value and value not in set(SubscriberStatus):
        raise _RowProblem("status", "Use pending, confirmed, unsubscribed, bounced or complained.")
    if value and SubscriberStatus(value) != SubscriberStatus.CONFIRMED:
        return SubscriberStatus(value)
    return SubscriberStatus.CONFIRMED if consent else SubscriberStatus.PENDING


# --- writing ------------------------------------------------------------------------------------

def import_csv(session: Session, text: str, *, progress: Callable[[int], None] | None = None) -> ImportReport:
    secret = str(current_app.config["SECRET_KEY"])
    parsed = ParsedFile(text, secret, str(current_app.config.get("PRIMARY_LANGUAGE", "fi")))
    report = ImportReport()
    for chunk in parsed_ahead(parsed.rows(), CHUNK):
        _import_chunk(session, chunk, report)
        if progress:
            progress(len(chunk))
    report.rows = parsed.count
    report.errors += parsed.errors
    if progress and parsed.errors:
        progress(len(parsed.errors))
    report.errors.sort(key=lambda e: e.row)
    return report


def _import_chunk(session: Session, rows: Sequence[ImportRow], report: ImportReport) -> None:
    hashes = [row.email_hash for row in rows]
    existing = {s.email_hash: s for s in session.execute(
        select(Subscriber.id, Subscriber.email_hash, Subscriber.status, Subscriber.name, Subscriber.organisation)
        .where(one_of(session, Subscriber.email_hash, hashes)).with_for_update()
    )}
    suppressed = set(session.scalars(select(Suppression.email_hash)
                                     .where(one_of(session, Suppression.email_hash, hashes))))
    new_rows: list[ImportRow] = []
    for row in rows:
        current = existing.get(row.email_hash)
        if current is not None:
            _merge_existing(session, row, current, report)
        elif row.email_hash in suppressed:
            report.errors.append(RowError(row.row, "email", "This address was erased or cannot receive mail. "
                                                            "Only the person can subscribe it again."))
        else:
            new_rows.append(row)
    if new_rows:
        _insert_new(session, new_rows, report)


def _merge_existing(session: Session, row: ImportRow, current: Any, report: ImportReport) -> None:
    values: dict[str, Any] = {}
    if current.name is None and row.name:
        values["name"] = row.name
    if current.organisation is None and row.organisation:
        values["organisation"] = row.organisation
    confirming = current.status == SubscriberStatus.PENDING and row.status == SubscriberStatus.CONFIRMED
    if confirming:
        values.update(status=SubscriberStatus.CONFIRMED, confirmed_at=row.consent_at)
    if not values:
        report.unchanged += 1
        return
    session.execute(update(Subscriber).where(Subscriber.id == current.id).values(**values, updated_at=utcnow()))
    if confirming:
        report.confirmed += 1
        _log_imports(session, [(current.id, row)])
    else:
        report.updated += 1


def _insert_new(session: Session, rows: Sequence[ImportRow], report: ImportReport) -> None:
    now = utcnow()
    today = now.date()
    values = [{
        "email": row.email, "email_hash": row.email_hash, "name": row.name, "organisation": row.organisation,
        "language": row.language, "status": row.status.value,
        "source": ConsentSource.IMPORT.value, "consent_wording_version": IMPORT_WORDING,
        "token_key": secrets.token_hex(8), "created_at": now, "updated_at": now,
        "confirmed_at": row.consent_at, "unsubscribed_at": row.unsubscribed_at,
        **_confirmation_counter(row.status == SubscriberStatus.PENDING, now),
    } for row in rows]
    inserted = _insert_ignoring_duplicates(session, values)
    by_hash = {row.email_hash: row for row in rows}
    made = [(subscriber_id, by_hash[address_hash]) for subscriber_id, address_hash in inserted]
    report.unchanged += len(rows) - len(made)  # a parallel import or subscription inserted them first
    report.created += len(made)
    if not made:
        return
    bulk_insert(session, _TOPICS_TABLE,
                [{"subscriber_id": sid, "topic": topic} for sid, row in made for topic in row.topics])
    _log_imports(session, made)
    token_keys = {str(value["email_hash"]): str(value["token_key"]) for value in values}
    for subscriber_id, row in made:
        if row.status == SubscriberStatus.PENDING:
            _send_confirmation(session, subscriber_id, token_keys[row.email_hash], row, today)
            report.confirmation_emails += 1


def _confirmation_counter(pending: bool, now: dt.datetime) -> dict[str, Any]:
    """A pending row gets its first confirmation email now; the others none."""
    if not pending:
        return {"confirmations_day": None, "confirmations_sent": 0, "last_confirmation_at": None}
    return {"confirmations_day": now.date(), "confirmations_sent": 1, "last_confirmation_at": now}


def _insert_ignoring_duplicates(session: Session, values: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert, skipping addresses a parallel import or subscription added first; (id, hash) of ours.

    PostgreSQL: one INSERT … ON CONFLICT DO NOTHING RETURNING (only our rows come back). SQLite: a bulk
    INSERT and one SELECT: our rows are those that carry the token_key we generated.
    """
    table = _SUBSCRIBERS_TABLE
    if session.get_bind().dialect.name == "postgresql":
        found = unnest_insert(session, table, values, skip_duplicates=True, returning=("id", "email_hash"))
        return [(int(row_id), str(address_hash)) for row_id, address_hash in found]
    bulk_insert(session, table, values, skip_duplicates=True)
    ours = {str(value["email_hash"]): str(value["token_key"]) for value in values}
    rows = session.execute(select(table.c.id, table.c.email_hash, table.c.token_key)
                           .where(one_of(session, table.c.email_hash, list(ours))))
    return [(int(row.id), str(row.email_hash)) for row in rows if ours[row.email_hash] == row.token_key]


def _log_imports(session: Session, made: Iterable[tuple[int, ImportRow]]) -> None:
    now = utcnow()
    bulk_insert(session, _CONSENT_TABLE, [{
        "subscriber_id": sid, "email_hash": row.email_hash,
        "action": DEPARTED.get(row.status, ConsentAction.IMPORT).value,
        "source": ConsentSource.IMPORT.value, "wording_version": IMPORT_WORDING, "language": row.language,
        "topics": " ".join(row.topics), "occurred_at": now,
    } for sid, row in made])


def _send_confirmation(session: Session, subscriber_id: int, token_key: str, row: ImportRow, today: dt.date) -> None:
    # A detached stand-in carries what the link tokens and the email need, without loading the row again.
    subscriber = Subscriber(id=subscriber_id, token_key=token_key, email=row.email, name=row.name,
                            language=row.language)
    emails.confirmation_request(session, subscriber, today, 1, topics=row.topics)
