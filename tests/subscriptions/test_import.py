"""CSV import of subscribers: exact bad-row reports, idempotent re-import, consent, suppression (both backends)."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from services.subscriptions.models import db
from services.subscriptions.subscribers.models import ConsentEvent, Subscriber, SubscriberStatus, SubscriberTopic
from tests.subscriptions.conftest import emails_to, make_subscriber

IMPORT = "/newsletter/api/v1/subscribers/import"
FIRST = ["Aino", "Eino", "Helmi", "Väinö", "Elsa", "Johan", "Saara", "Matti", "Linnea", "Oskari"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Lindqvist", "Heikkinen", "Koskinen", "Järvinen"]
BAD_KINDS = [("not-an-address", "fi", "newsletter", "", "email"),
             ("{n}@example.fi", "de", "newsletter", "", "language"),
             ("{n}@example.fi", "fi", "sports", "", "topics"),
             ("{n}@example.fi", "fi", "newsletter", "last spring", "consent_at")]


def big_csv(rows: int = 10_000, bad_share: float = 0.03, seed: int = 7) -> tuple[str, dict[int, str]]:
    """A CSV of `rows` data rows, `bad_share` of them bad; returns the text and {row number: bad field}."""
    chooser = random.Random(seed)
    bad_rows = set(chooser.sample(range(rows), int(rows * bad_share)))
    lines = ["email;name;organisation;language;topics;consent_at"]
    expected: dict[int, str] = {}
    for n in range(rows):
        row_number = n + 2  # the header is row 1
        name = f"{chooser.choice(FIRST)} {chooser.choice(LAST)}"
        if n in bad_rows:
            email, language, topics, consent, field = BAD_KINDS[n % len(BAD_KINDS)]
            lines.append(f"{email.format(n=f'bad{n}')};{name};;{language};{topics};{consent}")
            expected[row_number] = field
        else:
            consent = "" if n % 50 == 0 else "2025-03-31"
            lines.append(f"person{n}@example.fi;{name};Oulun yliopisto;{'sv' if n % 5 == 0 else 'fi'};"
                         f"newsletter events;{consent}")
    return "\n".join(lines) + "\n", expected


def table_counts() -> tuple[int, int, int, int]:
    with db.transaction() as session:
        return (session.scalar(select(func.count(Subscriber.id))) or 0,
                session.scalar(select(func.count()).select_from(SubscriberTopic)) or 0,
                session.scalar(select(func.count(ConsentEvent.id))) or 0,
                session.scalar(select(func.count(Subscriber.id)).where(Subscriber.is_mailable)) or 0)


def test_ten_thousand_rows_report_exactly_the_bad_ones_and_a_second_import_changes_nothing(client, admin_headers):
    text, expected = big_csv()
    headers = {**admin_headers("coordinator"), "Content-Type": "text/csv"}
    first = client.post(IMPORT, data=text.encode(), headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)[:500]
    report = first.get_json()
    assert {e["row"]: e["field"] for e in report["errors"]} == expected
    assert report["rows"] == 10_000
    assert report["created"] == 10_000 - len(expected)
    pending = sum(1 for n in range(10_000) if n % 50 == 0 and n + 2 not in expected)
    assert report["confirmation_emails"] == pending
    after_first = table_counts()
    assert after_first == (10_000 - 300, 2 * (10_000 - 300), 10_000 - 300, 10_000 - 300 - pending)

    second = client.post(IMPORT, data=text.encode(), headers=headers).get_json()
    assert {e["row"]: e["field"] for e in second["errors"]} == expected
    assert second["created"] == second["confirmed"] == second["updated"] == second["confirmation_emails"] == 0
    assert second["unchanged"] == 10_000 - 300
    assert table_counts() == after_first


def test_imported_addresses_without_consent_get_a_confirmation_email(client, admin_headers):
    text = "email,name,language,topics\nhelmi.makinen@example.fi,Helmi Mäkinen,sv,trainings\n"
    report = client.post(IMPORT, data=text, headers={**admin_headers("coordinator"),
                                                     "Content-Type": "text/csv"}).get_json()
    assert report["created"] == 1
    with db.transaction() as session:
        subscriber = session.scalar(select(Subscriber))
        assert subscriber.status == SubscriberStatus.PENDING
        assert subscriber.topic_names == ["trainings"]
        assert [e.action.value for e in subscriber.consent_events] == ["import"]
        assert subscriber.consent_events[0].source.value == "import"
    [mail] = emails_to("helmi.makinen@example.fi", "confirm-subscription")
    assert mail["language"] == "sv"
    confirm_path = mail["context"]["confirm_url"].removeprefix("http://127.0.0.1:8000")
    assert client.post(confirm_path).status_code == 200


def test_an_import_never_overrides_a_persons_own_choice(client, admin_headers):
    make_subscriber("left@example.fi", status="unsubscribed", name=None)
    make_subscriber("waiting@example.fi", status="pending", topics=("events",))
    text = ("email,name,topics,consent_at\n"
            "left@example.fi,Johan Lindqvist,newsletter,2025-01-01\n"
            "waiting@example.fi,,newsletter,2025-01-01\n")
    report = client.post(IMPORT, data=text, headers={**admin_headers("coordinator"),
                                                     "Content-Type": "text/csv"}).get_json()
    assert report["updated"] == 1  # the name was missing
    assert report["confirmed"] == 1
    with db.transaction() as session:
        left = session.scalar(select(Subscriber).where(Subscriber.email == "left@example.fi"))
        waiting = session.scalar(select(Subscriber).where(Subscriber.email == "waiting@example.fi"))
        assert left.status == SubscriberStatus.UNSUBSCRIBED
        assert left.name == "Johan Lindqvist"
        assert waiting.status == SubscriberStatus.CONFIRMED
        assert waiting.topic_names == ["events"]


def test_duplicates_in_one_file_are_reported(client, admin_headers):
    text = "email\na@example.fi\nA@Example.fi\n"
    report = client.post(IMPORT, data=text, headers={**admin_headers("coordinator"),
                                                     "Content-Type": "text/csv"}).get_json()
    assert report["errors"] == [{"row": 3, "field": "email", "message": "The same address is already on row 2."}]


def test_an_unknown_column_refuses_the_whole_file(client, admin_headers):
    response = client.post(IMPORT, data="email,phone\na@example.fi,123\n",
                           headers={**admin_headers("coordinator"), "Content-Type": "text/csv"})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "columns" in response.get_json()["errors"]
    assert table_counts()[0] == 0


def test_a_multipart_upload_with_a_bom_works(client, admin_headers):
    import io

    data = {"file": (io.BytesIO("\ufeffemail;name\nsaara.koskinen@example.fi;Saara\n".encode()), "list.csv")}
    response = client.post(IMPORT, data=data, headers=admin_headers("coordinator"),
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.get_json()["created"] == 1


def test_import_needs_a_coordinator(client, admin_headers):
    assert client.post(IMPORT, data="email\na@example.fi\n", content_type="text/csv").status_code == 401
    assert client.post(IMPORT, data="email\na@example.fi\n", content_type="text/csv",
                       headers=admin_headers("editor")).status_code == 403


def test_the_elo_command_imports_with_a_progress_bar_and_lists_bad_rows(apps, backend, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    csv_file = tmp_path / "jasenet.csv"
    csv_file.write_text("email;name;language;consent_at\n"
                        "eino.korhonen@example.fi;Eino Korhonen;fi;2024-09-01\n"
                        "rikki-osoite;Väinö Mäkinen;fi;\n"
                        "elsa.lindqvist@example.fi;Elsa Lindqvist;sv;\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", **backend.env()}
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "services.cli", "import-subscribers", str(csv_file)]
    first = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert first.returncode == 1, first.stderr
    assert "Importing" in first.stderr
    assert "3 rows: 2 new" in first.stdout
    assert "row 3: email: Not a valid email address." in first.stdout
    with db.transaction() as session:
        statuses = dict(session.execute(select(Subscriber.email, Subscriber.status)).all())
    assert statuses == {"eino.korhonen@example.fi": SubscriberStatus.CONFIRMED,
                        "elsa.lindqvist@example.fi": SubscriberStatus.PENDING}
    second = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert "0 new, 0 confirmed, 0 updated, 2 unchanged" in second.stdout


# --- the export reads back -------------------------------------------------------------------------

EXPORT = "/newsletter/api/v1/subscribers/export.csv"
PEOPLE = [  # (email, name, organisation, language, status, topics)
    ("=cmd@example.fi", "=cmd", "Åbo Akademi", "sv", "confirmed", ("newsletter", "events")),
    ("matti.jarvinen@example.fi", "-Matti", "Oulun yliopisto; ohjaus \"ELO\"", "fi", "confirmed", ("trainings",)),
    ("vaino.makinen@example.fi", "Väinö Mäkinen", "", "fi", "pending", ("newsletter",)),
    ("linnea@example.fi", "+Linnea Nieminen", "Jokilaaksojen koulutuskuntayhtymä", "en", "unsubscribed",
     ("newsletter",)),
    ("elsa@example.fi", "@Elsa", "", "sv", "bounced", ("events",)),
]


def seed_people() -> None:
    import datetime as dt

    from shared.privacy import email_hash
    from tests.conftest import TEST_SECRET_KEY

    joined = dt.datetime(2025, 3, 31, 9, 15, 30, 123456, tzinfo=dt.UTC)
    with db.transaction() as session:
        for email, name, organisation, language, status, topics in PEOPLE:
            person = Subscriber(email=email, email_hash=email_hash(TEST_SECRET_KEY, email), name=name,
                                organisation=organisation or None, language=language, status=SubscriberStatus(status),
                                source="form", confirmed_at=None if status == "pending" else joined,
                                unsubscribed_at=joined + dt.timedelta(days=40) if status == "unsubscribed" else None)
            person.set_topics(topics)
            session.add(person)


def exported_rows(client, headers) -> list[list[str]]:
    import csv
    import io

    response = client.get(EXPORT, headers=headers)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffemail;name;organisation;language;topics;consent_at;status;created_at;")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def test_the_export_imports_back_unchanged_into_an_empty_database(client, admin_headers):
    headers = admin_headers("coordinator")
    seed_people()
    first = client.get(EXPORT, headers=headers).get_data()
    for protected in (b"'=cmd", b"'-Matti", b"'+Linnea", b"'@Elsa"):  # no formulas in a spreadsheet
        assert protected in first
    before = exported_rows(client, headers)
    with db.transaction() as session:
        for person in session.scalars(select(Subscriber)):
            session.delete(person)
    assert table_counts()[0] == 0

    report = client.post(IMPORT, data=first, headers={**headers, "Content-Type": "text/csv"}).get_json()
    assert report["errors"] == []
    assert (report["rows"], report["created"], report["confirmation_emails"]) == (5, 5, 1)
    assert [mail["template"] for mail in emails_to("vaino.makinen@example.fi")] == ["confirm-subscription"]
    assert emails_to("linnea@example.fi") == emails_to("elsa@example.fi") == []
    created_at = before[0].index("created_at")
    after = exported_rows(client, headers)
    assert [row[:created_at] + row[created_at + 1:] for row in after] == \
        [row[:created_at] + row[created_at + 1:] for row in before]
    with db.transaction() as session:
        names = set(session.scalars(select(Subscriber.name)))
    assert {"=cmd", "-Matti", "Väinö Mäkinen", "+Linnea Nieminen", "@Elsa"} == names

    again = client.post(IMPORT, data=first, headers={**headers, "Content-Type": "text/csv"}).get_json()
    assert (again["created"], again["unchanged"], again["errors"]) == (0, 5, [])
