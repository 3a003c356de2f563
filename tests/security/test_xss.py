"""XSS payloads in every text field the public (and organisers) can fill: subscriber name and
organisation, article fields, event texts, registration fields. Then every page that may show them
(public pages, the links in the emails, the admin pages after a login) and every email the mailer
rendered must contain no live script: no <script> with the payload, no on* handler, no javascript: URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import message_from_bytes, policy
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter
from werkzeug.test import Client

from services import SERVICES
from shared.ratelimit import reset_rates
from tests.security import flows
from tests.security.conftest import HTML, Route, every_text_value, links_written

MARK = "xss"
PAYLOADS = [
    f'<script>alert("{MARK}1")</script>',
    f'"><img src=x onerror=alert("{MARK}2")>',
    f"<svg/onload=alert('{MARK}3')>",
    f"' onmouseover='alert({MARK}4)' x='",
    f"javascript:alert('{MARK}5')",
    f'<a href="javascript:alert({MARK}6)">linkki</a>',
    f"{{{{7*7}}}}{MARK}7",
]


class LiveScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._in_script = True
        for name, value in attrs:
            text = value or ""
            if name.startswith("on") and MARK in text:
                self.found.append(f"<{tag} {name}={text!r}>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and \
                    text.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={text!r}>")
            if tag == "script" and name == "src" and MARK in text:
                self.found.append(f"<script src={text!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and MARK in data:
            self.found.append(f"<script>{data[:80]}</script>")
        if f"49{MARK}7" in data:
            self.found.append("template expression {{7*7}} was evaluated")


def live_script(html: str) -> list[str]:
    finder = LiveScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def test_the_checker_sees_live_script() -> None:
    assert live_script(f"<p>{PAYLOADS[1]}</p>")
    assert live_script(f"<p>{PAYLOADS[0]}</p>")
    assert live_script(PAYLOADS[5])
    assert not live_script("<p>&lt;script&gt;alert(&quot;xss1&quot;)&lt;/script&gt;</p>")


def fill_every_field(client: Client, admin_headers: Callable[[str], dict[str, str]]) -> dict[str, list[int]]:
    """Send every payload through every public text field; returns the ids made ({kind: [ids]})."""
    made: dict[str, list[int]] = {"article": [], "event": [], "registration": []}
    organizer = admin_headers("organizer")
    for payload in PAYLOADS:
        reset_rates()
        flows.subscribe(client, flows.address("xss"), name=payload, organisation=payload)
        article = flows.submit_article(client, title=f"Otsikko {payload}", summary=f"Tiivistelmä {payload}",
                                       body=f"Teksti {payload}\n\n[linkki](javascript:alert('{MARK}8'))",
                                       author_name=payload, organisation=payload, image_alt=payload)
        if article.status_code < 300 and isinstance(article.get_json(), dict) and "id" in article.get_json():
            made["article"].append(article.get_json()["id"])
        event = flows.create_event(client, organizer, title={"fi": f"Tapahtuma {payload}", "sv": payload,
                                                             "en": payload},
                                   description={"fi": payload, "sv": payload, "en": payload},
                                   address=payload, organiser_name=payload)
        if event is None:
            continue
        made["event"].append(event["id"])
        registration = flows.register(client, event["id"], flows.address("xss"), name=payload, organisation=payload)
        if registration.status_code == 201 and "id" in (registration.get_json() or {}):
            made["registration"].append(registration.get_json()["id"])
    return made


def log_in_everywhere(client: Client, routes: list[Route]) -> None:
    from shared.web_auth import hash_password, save_user

    password = "xss-testin-salasana-1"
    email = flows.address("coordinator")
    for info in SERVICES:
        with info.module().db.transaction() as session:
            save_user(session, email=email, role="coordinator", password_hash=hash_password(password))
    for route in routes:
        if route.rule.endpoint.endswith(".login") and "POST" in route.methods:
            page = client.get(route.path(), headers=HTML).get_data(as_text=True)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            client.post(route.path(), headers=HTML,
                        data={"email": email, "password": password, "csrf_token": csrf.group(1) if csrf else ""})


def pages_to_check(routes: list[Route], apps: dict[str, Flask], made: dict[str, list[int]]) -> set[str]:
    paths = {urlsplit(link).path for link in links_written(apps)}
    ids = [i for values in made.values() for i in values] or [1]
    for route in routes:
        if "GET" not in route.methods or any("token" in name for name in route.rule.arguments):
            continue
        if not route.rule.arguments:
            paths.add(route.path())
        elif all(_is_int(route.rule, name) for name in route.rule.arguments):
            paths.update(route.path(**dict.fromkeys(route.rule.arguments, i)) for i in ids)
    return {path for path in paths if not path.endswith((".css", ".js", ".png", ".svg", ".ico"))}


def _is_int(rule: Rule, name: str) -> bool:
    return isinstance(rule._converters.get(name), NumberConverter)


def test_no_payload_runs_in_pages_or_emails(client: Client, apps: dict[str, Flask], routes: list[Route],
                                            admin_headers: Callable[[str], dict[str, str]],
                                            drain: Callable[..., None]) -> None:
    made = fill_every_field(client, admin_headers)
    drain()
    log_in_everywhere(client, routes)
    problems: list[str] = []
    checked = 0
    for path in sorted(pages_to_check(routes, apps, made)):
        response = client.get(path, headers=HTML)
        if response.mimetype != "text/html":
            continue
        checked += 1
        problems += [f"page {path}: {found}" for found in live_script(response.get_data(as_text=True))]
    emails_with_payload = 0
    for where, html in rendered_emails(apps):
        emails_with_payload += MARK in html
        problems += [f"email {where}: {found}" for found in live_script(html)]
    if checked == 0:
        pytest.skip("no HTML page to check yet")
    assert not problems, "\n".join(sorted(set(problems)))
    assert emails_with_payload, "no rendered email carried a payload: the email check checked nothing"


def rendered_emails(apps: dict[str, Flask]) -> list[tuple[str, str]]:
    """(where, HTML part) of every email the mailer rendered and kept (captured mail, raw MIME bytes),
    and of any HTML it stored as text."""
    found = []
    for service, table, text in every_text_value(apps):
        if service == "mailer" and re.search(r"<html|<!doctype|<body", text, re.IGNORECASE):
            found.append((f"text in mailer.{table}", text))
    database = next(info for info in SERVICES if info.name == "mailer").module().db
    with database.engine.connect() as connection:
        for metadata in database.metadatas:
            for table in metadata.sorted_tables:
                for row in connection.execute(sa.select(table)):
                    for value in row:
                        if isinstance(value, bytes | memoryview) and b"Content-Type" in bytes(value)[:4000]:
                            message = message_from_bytes(bytes(value), policy=policy.default)
                            for part in message.walk():
                                if part.get_content_type() == "text/html":
                                    found.append((f"mailer.{table.name} to {message['To']}", part.get_content()))
    return found
