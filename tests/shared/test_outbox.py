"""The outbox: relayed only after commit, never after rollback, re-sent by the sweeper when
the broker lost a message, and with its effect once when delivered twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from services.mailer.models import db
from shared import outbox
from shared.broker import actor, get_broker
from shared.contract import Route
from shared.db import utcnow
from shared.models import OutboxMessage, ProcessedMessage

RECORD = Route("tests.record_effect", "tests")
effects: list[str] = []
effects_lock = threading.Lock()


@actor(RECORD, service="mailer", max_retries=0)
def record_effect(payload: dict[str, str]) -> None:
    """An idempotent consumer: applies each key once, in the mailer's database."""
    with db.transaction() as session:
        if outbox.claim_once(session, payload["key"]):
            with effects_lock:
                effects.append(payload["key"])


@pytest.fixture(autouse=True)
def _clear_effects():
    effects.clear()


def rows(*conditions):
    with db.transaction() as session:
        return list(session.scalars(select(OutboxMessage).where(*conditions).order_by(OutboxMessage.id)))


def test_a_message_is_relayed_only_after_commit(apps, broker, worker, drain):
    with apps["mailer"].app_context():
        session = db.session()
        outbox.enqueue(session, RECORD, {"key": "one"})
        session.flush()
        assert session.scalars(select(OutboxMessage)).one().relayed_at is None, "written, not yet sent"
        assert effects == []
        session.commit()
        drain()
    assert effects == ["one"]
    [row] = rows()
    assert row.relayed_at is not None
    assert row.acknowledged_at is not None, "the consumer acknowledged it"


def test_a_rolled_back_message_is_never_sent(apps, broker, worker, drain):
    with apps["mailer"].app_context():
        session = db.session()
        outbox.enqueue(session, RECORD, {"key": "never"})
        session.rollback()
        drain()
    assert effects == []
    assert rows() == []


def test_the_sweeper_sends_what_the_broker_did_not_take(apps, broker, worker, drain, monkeypatch):
    def broker_down(*_args, **_kwargs):
        raise ConnectionError("broker is down")

    with apps["mailer"].app_context():
        monkeypatch.setattr(outbox, "send", broker_down)
        session = db.session()
        outbox.enqueue(session, RECORD, {"key": "late"})
        session.commit()
        [row] = rows()
        assert row.relayed_at is None
        assert "broker is down" in row.last_error
        monkeypatch.undo()
        assert outbox.sweep(db, resend_after=3600) == 0, "too fresh: the relay may still be on its way"
        assert outbox.sweep(db, resend_after=3600, now=utcnow() + dt.timedelta(seconds=11)) == 1
        drain()
    assert effects == ["late"]
    assert rows()[0].acknowledged_at is not None


def test_the_sweeper_resends_a_message_the_broker_lost(apps, broker, worker, drain):
    with apps["mailer"].app_context():
        worker.pause()
        session = db.session()
        outbox.enqueue(session, RECORD, {"key": "lost"})
        session.commit()
        broker.flush(RECORD.queue)  # the broker loses the message
        worker.resume()
        drain()
        assert effects == []
        [row] = rows()
        assert row.relayed_at is not None
        assert row.acknowledged_at is None
        later = utcnow() + dt.timedelta(seconds=3601)
        assert outbox.sweep(db, resend_after=3600, now=later) == 1
        drain()
    assert effects == ["lost"]
    assert rows()[0].acknowledged_at is not None


def test_a_message_delivered_twice_has_its_effect_once(apps, broker, worker, drain):
    with apps["mailer"].app_context():
        session = db.session()
        row = outbox.enqueue(session, RECORD, {"key": "twice"})
        session.commit()
        drain()
        outbox.relay(db, [row.id])  # the same message again, as after a lost acknowledgement
        outbox.forget_relays(db)
        outbox.sweep(db, resend_after=3600, include_fresh=True)
        drain()
    assert effects == ["twice"]
    with db.transaction() as check:
        assert check.scalar(select(func.count()).select_from(ProcessedMessage)) == 1


def test_messages_survive_an_embedded_restart(apps, broker, backend):
    """No worker runs (the process 'died'); on start every unacknowledged row goes again."""
    if backend.name != "sqlite":
        pytest.skip("the embedded restart concerns the in-memory broker")
    with apps["mailer"].app_context():
        session = db.session()
        outbox.enqueue(session, RECORD, {"key": "restart"})
        session.commit()
    assert rows()[0].relayed_at is not None
    fresh = get_broker().__class__()  # the in-memory broker after a restart: empty
    from shared.broker import use_broker

    use_broker(fresh)
    fresh.declare_queue(RECORD.queue)
    outbox.forget_relays(db)
    assert outbox.sweep(db, resend_after=3600, include_fresh=True, broker=fresh) == 1
    assert fresh.queues[RECORD.queue].qsize() == 1
