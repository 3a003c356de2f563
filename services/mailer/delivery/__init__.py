"""Delivering one message or a batch: claim the delivery row, render, personalise, send, record.

The delivery row (one per idempotency key) is what makes sending idempotent: a finished row is
never sent again; a row being sent is leased to one worker (`claimed_by`, `lease_until`). If that
worker died (kill -9), the lease lets another take over. "Sent" is written right after the relay
accepts each message (`services.mailer.log`), so a worker killed in between sends at most one
message per thread twice.

    claims.py    which deliveries this worker may send now (insert-claimed, leases, suppressions)
    sending.py   one built message to the relay or the captured-mail table, and what a failure means
    messages.py  the work of the actors: an EmailRequest or an EmailBatch, end to end
"""
