"""Mail caused by anonymous input: a subscription, a registration, an article or a request for a link.

Anyone can type someone else's address into a form, so such mail (`EmailRequest.cause == "anonymous"`)
is capped per address across the whole system: at most `ELO_ANONYMOUS_MAIL_PER_DAY` (default 3) in any
24 hours, whichever service asked. An address that hard-bounced or complained gets none at all. A
message over the cap is recorded "suppressed" with the reason and is never retried; it is not an error.

The count is kept for the whole deployment, every network together (`system_wide.take_anonymous_share`:
one transaction serialised per address, an advisory lock on PostgreSQL, the one writer on SQLite), so
parallel workers cannot pass the cap together and a bot gains nothing by moving between networks.
"""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.mailer.composing import message_id
from services.mailer.delivery.claims import SUPPRESSED_REASON, Claimed, Wanted, claim
from services.mailer.delivery.system_wide import take_anonymous_share
from services.mailer.log import log_transaction
from services.mailer.models import Delivery, DeliveryStatus, Suppression
from shared.db import utcnow

CAPPED_REASON = "capped: this address got its share of mail caused by anonymous input in the last 24 hours"


def claim_anonymous(wanted: Wanted, domain: str, *, per_day: int) -> Claimed:
    """Claim a new key if the address may get it; a refused one is recorded and nothing is to send."""
    with log_transaction() as session:
        if session.scalar(select(Delivery.id).where(Delivery.idempotency_key == wanted.key)) is not None:
            return claim(session, [wanted], domain=domain)  # a retry: counted when it came first
        suppressed_here = session.scalar(
            select(Suppression.id).where(Suppression.email_hash == wanted.email_hash)) is not None
    refused = "suppressed" if suppressed_here else take_anonymous_share(wanted.key, wanted.email_hash, per_day)
    with log_transaction() as session:
        if refused is None:
            return claim(session, [wanted], domain=domain)
        _insert_refused(session, wanted, domain, SUPPRESSED_REASON if refused == "suppressed" else CAPPED_REASON)
        return Claimed([], 0)


def _insert_refused(session: Session, wanted: Wanted, domain: str, reason: str) -> None:
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = Delivery.__table__
    assert isinstance(table, Table)
    session.execute(insert(table).values(
        idempotency_key=wanted.key, message_id=message_id(wanted.key, domain), email_hash=wanted.email_hash,
        recipient=wanted.email, template=wanted.template, language=wanted.language, campaign=wanted.campaign,
        origin=wanted.origin, list_mail=wanted.list_mail, cause=wanted.cause,
        status=DeliveryStatus.SUPPRESSED.value, attempts=0, last_error=reason, created_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["idempotency_key"]))
