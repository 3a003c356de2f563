"""What the mailer knows of an address across every network of the deployment.

Mail caused by anonymous input is capped per address for the whole system, and an address that
hard-bounced or complained gets no list mail from any network: a bot gains nothing by moving between
networks. Both facts live in the default network's database, which every network's mailer reads and
writes (the networks share the secret that keys the address hashes). A network's own suppressions stay
in its own table too, with the notice to its subscriptions service.

Transactions on the default network's database are opened only after, or inside, the current network's
own: never the other way round, so two threads cannot wait for each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.mailer.log import log_transaction
from services.mailer.models import AnonymousMail, Suppression, SuppressionReason
from shared.db import utcnow
from shared.networks import current_network, current_slug, using_network

WINDOW = dt.timedelta(hours=24)


@contextlib.contextmanager
def _default_network() -> Iterator[Session]:
    with using_network(None), log_transaction() as session:
        yield session


def suppressed_elsewhere(hashes: Iterable[str]) -> set[str]:
    """The hashes suppressed by any network (read in the default network; nothing to add when in it)."""
    wanted = list(set(hashes))
    if current_network() is None or not wanted:
        return set()
    found: set[str] = set()
    with _default_network() as session:
        for start in range(0, len(wanted), 500):
            found.update(session.scalars(select(Suppression.email_hash)
                                         .where(Suppression.email_hash.in_(wanted[start:start + 500]))))
    return found


def share_suppression(email_hash: str, reason: str, detail: str | None, occurred_at: dt.datetime) -> None:
    """Make a suppression recorded in the current network count in every network."""
    if current_network() is None:
        return  # recorded in the default network's table already
    with _default_network() as session:
        table = Suppression.__table__
        assert isinstance(table, Table)
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(table).values(
            email_hash=email_hash, reason=SuppressionReason(reason).value, detail=detail, occurred_at=occurred_at,
            created_at=utcnow()).on_conflict_do_nothing(index_elements=["email_hash"]))


def take_anonymous_share(key: str, email_hash: str, per_day: int) -> str | None:
    """Count one anonymous-caused message to this address, system-wide; why not, or None when it may go.

    `key` is the message's idempotency key: a retry of a counted message is not counted again."""
    ledger_key = f"{current_slug() or ''}:{key}"
    with _default_network() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                            {"key": f"anonymous-mail:{email_hash}"})
        if session.get(AnonymousMail, ledger_key) is not None:
            return None
        if session.scalar(select(Suppression.id).where(Suppression.email_hash == email_hash)) is not None:
            return "suppressed"
        since = utcnow() - WINDOW
        session.execute(delete(AnonymousMail).where(AnonymousMail.email_hash == email_hash,
                                                    AnonymousMail.created_at < since))
        counted = session.scalar(select(func.count()).select_from(AnonymousMail)
                                 .where(AnonymousMail.email_hash == email_hash)) or 0
        if counted >= per_day:
            return "capped"
        session.add(AnonymousMail(key=ledger_key, email_hash=email_hash, created_at=utcnow()))
        return None
