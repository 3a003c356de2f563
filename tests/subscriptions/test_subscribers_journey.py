"""The whole journey through the real mailer into a real SMTP server (aiosmtpd), on both backends:
subscribe → confirmation email → POST confirm → welcome email → one-click unsubscribe from the received
List-Unsubscribe header (no cookies) → 200 without redirect → the next newsletter does not reach the address."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from werkzeug.test import Client

from services.subscriptions.subscribers.models import SubscriberStatus
from shared.settings import Settings, load_settings
from tests.conftest import Backend, SmtpSink
from tests.subscriptions.test_subscribers import subscriber

ADDRESS = "linnea.nieminen@example.fi"
CONTROL = "oskari.jarvinen@example.fi"


@pytest.fixture
def settings(backend: Backend, smtp_sink: SmtpSink) -> Settings:
    """The mailer sends through SMTP to the sink instead of capturing."""
    return load_settings(backend.env(ELO_SMTP_URL=smtp_sink.url))


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def local_path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def wait_for_mail(smtp_sink: SmtpSink, drain, address: str, count: int) -> list[EmailMessage]:
    for _ in range(50):
        if len(smtp_sink.to(address)) >= count:
            break
        drain()
    return smtp_sink.to(address)


def join(client: Client, smtp_sink: SmtpSink, drain, address: str, language: str) -> EmailMessage:
    """Subscribe and confirm through the emails; returns the welcome email."""
    answer = client.post("/newsletter/api/v1/subscriptions",
                         json={"email": address, "language": language, "topics": ["newsletter"]})
    assert answer.status_code == 202
    [confirmation] = wait_for_mail(smtp_sink, drain, address, 1)
    assert confirmation["List-Unsubscribe"] is None  # transactional mail is not list mail
    confirm_url = re.search(r"https?://\S+/newsletter/confirm/\S+", text_of(confirmation))
    assert confirm_url is not None
    page = client.get(local_path(confirm_url.group(0)))
    assert page.status_code == 200
    assert subscriber(address).status == SubscriberStatus.PENDING
    assert client.post(local_path(confirm_url.group(0))).status_code == 200
    messages = wait_for_mail(smtp_sink, drain, address, 2)
    assert len(messages) == 2
    return messages[1]


def test_subscribe_confirm_welcome_one_click_unsubscribe_and_no_more_list_mail(
        client: Client, apps, smtp_sink: SmtpSink, drain, admin_headers) -> None:
    welcome = join(client, smtp_sink, drain, ADDRESS, "sv")
    join(client, smtp_sink, drain, CONTROL, "fi")
    assert welcome["Subject"] == "Välkommen som prenumerant på nyhetsbrevet"
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert welcome["List-Id"] is not None
    header = str(welcome["List-Unsubscribe"])
    links = re.findall(r"<([^>]+)>", header)
    assert any(link.startswith("mailto:") for link in links)
    [url] = [link for link in links if link.startswith("http")]

    one_click = Client(client.application)  # a mail provider: no cookies, no session
    response = one_click.post(local_path(url), data="List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert subscriber(ADDRESS).status == SubscriberStatus.UNSUBSCRIBED

    editor = admin_headers("coordinator")
    issue = client.post("/newsletter/api/v1/issues", headers=editor,
                        json={"language": "fi", "title": "ELO-uutiskirje 1/2027",
                              "introduction": "Hyvää alkanutta vuotta!"})
    assert issue.status_code == 201, issue.get_data(as_text=True)
    sent = client.post(f"/newsletter/api/v1/issues/{issue.get_json()['id']}/send", json={"confirm": True},
                       headers=editor)
    assert sent.status_code == 202, sent.get_data(as_text=True)
    assert len(wait_for_mail(smtp_sink, drain, CONTROL, 3)) == 3  # the control subscriber got the issue
    drain()
    assert len(smtp_sink.to(ADDRESS)) == 2  # confirmation and welcome only
