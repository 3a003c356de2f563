"""The delivery log's end states: sent (one statement, on both paths), failed after retries."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select

from services.mailer.actors import delivery_gave_up
from services.mailer.delivery.claims import Wanted, claim
from services.mailer.log import (
    SENT,
    SentMarks,
    _prepared_parameters,
    log_statement,
    log_transaction,
    mark_sent,
    mark_unsent,
)
from services.mailer.models import Delivery, DeliveryStatus, db


def _claimed(apps: dict[str, Flask], *keys: str) -> list[int]:
    wanted = [Wanted(key=key, email="a@example.fi", email_hash="0" * 64, template="mailer-test-message",
                     language="fi", campaign=None, origin="tests", list_mail=False) for key in keys]
    with apps["mailer"].app_context(), log_transaction() as session:
        return [delivery_id for _, delivery_id in claim(session, wanted).to_send]


def _rows() -> dict[str, Delivery]:
    with db.transaction() as session:
        return {row.idempotency_key: row for row in session.scalars(select(Delivery))}


def test_a_batch_mark_and_a_single_mark_write_the_same_sent_row(apps: dict[str, Flask]) -> None:
    """On PostgreSQL a batch's marks are the prepared form of the very statement a single mark runs."""
    before = dt.datetime.now(dt.UTC)
    in_batch, single = _claimed(apps, "mark:batch", "mark:single")
    with apps["mailer"].app_context():
        marks = SentMarks()
        marks.mark(in_batch)
        marks.close()
        with log_statement() as session:
            mark_sent(session, single)
    rows = _rows()
    for row in rows.values():
        assert row.status is DeliveryStatus.SENT
        assert row.sent_at is not None
        assert row.sent_at >= before
        assert row.updated_at == row.sent_at
        assert (row.last_error, row.lease_until, row.claimed_by) == (None, None, None)


def test_the_prepared_mark_takes_the_statements_parameters_in_order() -> None:
    now = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)
    assert _prepared_parameters(42, now) == [b"sent", b"2026-11-22T07:00:00+00:00", b"42"]
    assert "status" in str(SENT)


def test_a_mark_never_overrides_a_finished_row_with_unsent(apps: dict[str, Flask]) -> None:
    (delivery_id,) = _claimed(apps, "mark:finished")
    with apps["mailer"].app_context(), log_transaction() as session:
        mark_sent(session, delivery_id)
        mark_unsent(session, [delivery_id], DeliveryStatus.RETRYING, "451 too late")
    assert _rows()["mark:finished"].status is DeliveryStatus.SENT


def test_gave_up_deliveries_are_failed_with_their_last_error(apps: dict[str, Flask]) -> None:
    (delivery_id,) = _claimed(apps, "gave-up:1")
    with apps["mailer"].app_context(), log_transaction() as session:
        mark_unsent(session, [delivery_id], DeliveryStatus.RETRYING, "451 4.3.0 Try later")
    delivery_gave_up.fn({"actor_name": "mailer.send_email", "args": [{"idempotency_key": "gave-up:1"}]},
                        {"retries": 100, "max_retries": 100})
    row = _rows()["gave-up:1"]
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error == "gave up after 100 retries; last error: 451 4.3.0 Try later"
