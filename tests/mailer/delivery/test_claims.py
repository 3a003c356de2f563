"""Claiming deliveries: leases of dead workers are taken over, live ones respected."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select

from services.mailer.models import Delivery, db


def test_a_dead_workers_lease_is_taken_over_a_live_one_is_respected(apps: dict[str, Flask]) -> None:
    import os
    import socket
    import subprocess
    import sys

    from services.mailer.delivery.claims import Wanted, claim
    from services.mailer.log import log_transaction

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(gone.stdout)
    host = socket.gethostname()
    wanted = [Wanted(key=f"lease-test:{n}", email=f"l{n}@example.fi", email_hash=f"{n}" * 64,
                     template="mailer-test-message", language="fi", campaign=None, origin="tests", list_mail=False)
              for n in range(3)]
    with apps["mailer"].app_context():
        with log_transaction() as session:
            claimed = claim(session, wanted)
        assert len(claimed.to_send) == 3
        owners = {0: f"{host}:{dead_pid}:dead0000", 1: f"{host}:{os.getppid()}:alive000", 2: "elsewhere:1:x"}
        with db.transaction() as session:
            for n, owner in owners.items():
                row = session.scalars(select(Delivery).where(Delivery.idempotency_key == f"lease-test:{n}")).one()
                row.claimed_by = owner
        with log_transaction() as session:
            again = claim(session, wanted)
    assert [w.key for w, _ in again.to_send] == ["lease-test:0"]  # its worker is gone: taken over at once
    assert again.busy == 2  # a live process here, and a host we cannot see: wait for the lease
    with db.transaction() as session:
        rows = {row.idempotency_key: row for row in session.scalars(select(Delivery))}
    assert rows["lease-test:0"].attempts == 2
    assert rows["lease-test:2"].lease_until > dt.datetime.now(dt.UTC)
