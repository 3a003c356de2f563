"""The mailer's part of GDPR export (API) and erasure (actor): no address is left."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from services.mailer.models import Base, db
from shared.contract import ERASE_PERSON_IN
from shared.privacy import email_hash
from tests.conftest import TEST_SECRET_KEY
from tests.mailer.conftest import (
    BOUNCE_SECRET,
    batch,
    bounce,
    email_request,
    service_headers,
    use_mail_settings,
)


def test_export_and_erase_leave_no_address(apps: dict[str, Flask], client: Client, *, send_email: Callable[..., None],
                                           send_batch: Callable[..., None], drain: Callable[..., None],
                                           broker: Any) -> None:
    use_mail_settings(apps, bounce_secret=BOUNCE_SECRET)  # the embedded default: mail is captured
    send_email(email_request("erase-me:1", email="Erkki.Esimerkki@example.fi", name="Erkki Esimerkki"))
    send_batch(batch("issue-8-fi", ["erkki.esimerkki@example.fi", "muu@example.fi"]))
    drain()
    assert bounce(client, "erkki.esimerkki@example.fi").status_code == 200

    exported = client.post("/mailer/api/v1/personal-data/export", json={"email": "erkki.esimerkki@example.fi"},
                           headers=service_headers())
    assert exported.status_code == 200
    assert exported.json["service"] == "mailer"
    assert len(exported.json["data"]["deliveries"]) == 2
    assert exported.json["data"]["suppressions"][0]["reason"] == "hard-bounce"
    assert client.post("/mailer/api/v1/personal-data/export", json={"email": "x@example.fi"}).status_code == 401

    from shared.broker import send

    erase = {"email_hash": email_hash(TEST_SECRET_KEY, "erkki.esimerkki@example.fi"), "request_id": "erase-req-1"}
    send(broker, actor_name=ERASE_PERSON_IN["mailer"].actor, queue_name=ERASE_PERSON_IN["mailer"].queue, args=(erase,))
    drain()

    dump = _all_rows_as_text().lower()
    assert "erkki" not in dump
    assert "muu@example.fi" in dump  # others are untouched
    counts = client.get("/mailer/api/v1/campaigns/issue-8-fi", headers=service_headers()).json
    assert counts["sent"] == 2  # the counts stay right


def _all_rows_as_text() -> str:
    chunks = []
    with db.engine.connect() as connection:
        for metadata in db.metadatas:
            for table in metadata.sorted_tables:
                for row in connection.execute(sa.select(table)):
                    chunks.append(" ".join(
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value) for value in row))
    assert Base.metadata.tables  # the mailer's own tables were scanned too
    return "\n".join(chunks)
