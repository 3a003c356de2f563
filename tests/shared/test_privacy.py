from sqlalchemy import select

from services.events.models import db
from shared import outbox
from shared.contract import SEND_EMAIL
from shared.models import OutboxMessage
from shared.privacy import email_hash, forget_in_outbox


def test_email_hash_ignores_case_and_spaces():
    assert email_hash("k" * 20, " Maija@Example.FI ") == email_hash("k" * 20, "maija@example.fi")
    assert email_hash("k" * 20, "a@example.fi") != email_hash("j" * 20, "a@example.fi")


def test_forget_in_outbox_removes_only_rows_naming_the_address(apps):
    with apps["events"].app_context(), db.transaction() as session:
        outbox.enqueue(session, SEND_EMAIL, {"recipient": {"email": "maija_100%@example.fi"}})
        outbox.enqueue(session, SEND_EMAIL, {"recipient": {"email": "maija_100x@example.fi"}})
        session.info.pop("elo_outbox_pending")  # not relayed in this test
    with db.transaction() as session:
        assert forget_in_outbox(session, "MAIJA_100%@example.fi") == 1
    with db.transaction() as session:
        [left] = session.scalars(select(OutboxMessage))
        assert left.payload["recipient"]["email"] == "maija_100x@example.fi"
