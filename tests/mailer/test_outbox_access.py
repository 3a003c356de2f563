"""Who sees captured mail (#14): the test mailbox exists only in the embedded run, and there it answers a
client on this machine or a logged-in coordinator; production web processes never serve it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import Client

from services import wsgi
from services.mailer.models import CapturedMail, db
from tests.conftest import Backend
from tests.mailer.conftest import email_request
from tests.web.conftest import log_in, make_user

ELSEWHERE = "203.0.113.9"


def from_elsewhere(client: Client) -> Client:
    """A client on the same app whose requests come from another machine."""
    app = client.application

    def remote(environ: dict[str, Any], start_response: Any) -> Any:
        return app(environ | {"REMOTE_ADDR": ELSEWHERE}, start_response)

    return Client(remote)


def captured_id(send_email: Callable[..., None], drain: Callable[..., None]) -> int:
    send_email(email_request("outbox-access:1"))
    drain()
    with db.transaction() as session:
        return int(session.scalars(select(CapturedMail.id)).one())


def outbox_paths(mail_id: int) -> list[str]:
    return ["/mailer/outbox/", f"/mailer/outbox/{mail_id}/", f"/mailer/outbox/{mail_id}/html",
            f"/mailer/outbox/{mail_id}/raw", f"/mailer/outbox/{mail_id}/attachments/0"]


def test_this_machine_reads_the_mailbox_of_the_embedded_run(apps: dict[str, Flask], client: Client,
                                                             send_email: Callable[..., None],
                                                             drain: Callable[..., None]) -> None:
    mail_id = captured_id(send_email, drain)
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        listing = client.get("/mailer/outbox/?lang=en", environ_base={"REMOTE_ADDR": address})
        assert listing.status_code == 200, address
        assert "Testiviesti" in listing.text
    raw = client.get(f"/mailer/outbox/{mail_id}/raw")
    assert raw.status_code == 200
    assert raw.headers["Content-Type"] == "message/rfc822"


def test_another_machine_is_sent_to_the_login_and_sees_nothing(apps: dict[str, Flask], client: Client,
                                                               send_email: Callable[..., None],
                                                               drain: Callable[..., None]) -> None:
    mail_id = captured_id(send_email, drain)
    remote = from_elsewhere(client)
    for path in outbox_paths(mail_id):
        response = remote.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/mailer/admin/login"), path
        assert b"Testiviesti" not in response.data
    # Forwarded headers count only behind a configured proxy (ELO_PROXY_HOPS): they cannot make a client local.
    assert remote.get("/mailer/outbox/", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 302


def test_a_coordinator_logged_in_from_another_machine_reads_the_mailbox(apps: dict[str, Flask],
                                                                       send_email: Callable[..., None],
                                                                       drain: Callable[..., None],
                                                                       client: Client) -> None:
    mail_id = captured_id(send_email, drain)
    remote = from_elsewhere(client)
    organizer = make_user("jarjestaja@example.fi", "organizer")
    log_in(remote, "/mailer", organizer)  # one login for the workspace: the organizer lands in events
    refused = remote.get("/mailer/outbox/")
    assert refused.status_code in (302, 403), "the mailbox is for coordinators"
    assert b"Testiviesti" not in refused.data
    remote = from_elsewhere(client)  # another person at another machine, no login yet

    coordinator = make_user("koordinaattori@example.fi", "coordinator")
    logged_in = log_in(remote, "/mailer", coordinator)
    assert logged_in.status_code == 302
    assert remote.get(logged_in.headers["Location"]).headers["Location"].endswith("/mailer/outbox/")
    listing = remote.get("/mailer/outbox/?lang=en")
    assert listing.status_code == 200
    assert "Testiviesti" in listing.text
    assert remote.get(f"/mailer/outbox/{mail_id}/raw").status_code == 200


@pytest.mark.parametrize("mail_setting", [{"ELO_CAPTURE_MAIL": "1"}, {"ELO_SMTP_URL": "smtp://127.0.0.1:9"}])
def test_a_production_web_process_never_serves_captured_mail(backend: Backend, monkeypatch: pytest.MonkeyPatch,
                                                             send_email: Callable[..., None],
                                                             drain: Callable[..., None],
                                                             mail_setting: dict[str, str]) -> None:
    mail_id = captured_id(send_email, drain)
    env = backend.env(**mail_setting)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    production = Client(wsgi.create("mailer"))
    for path in outbox_paths(mail_id):
        response = production.get(path)
        assert response.status_code == 404, path
        assert b"Testiviesti" not in response.data
    index = production.get("/mailer/?lang=en")
    assert index.status_code == 200
    assert "/mailer/outbox/" not in index.text
