"""200 simultaneous registrations for 20 seats against the events service under gunicorn with 4 workers
(PostgreSQL + RabbitMQ): exactly 20 confirmed, 180 waitlisted, no error. Then 5 cancellations promote
exactly the first 5 waiting, each emailed once (through the real worker, mailer and an SMTP server)."""

from __future__ import annotations

import collections
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from services.events import links
from services.events.models import Registration, RegistrationStatus, db
from shared.models import OutboxMessage
from tests.events.factories import make_event
from tests.reliability.conftest import request_json

REGISTRANTS = 200
SEATS = 20


def _register_all(url: str, event_id: int) -> list[tuple[int, object]]:
    def one(n: int) -> tuple[int, object]:
        body = {"name": f"Osallistuja {n}", "email": f"person{n}@example.fi", "organisation": "Oulun kaupunki",
                "participation": "onsite", "language": "fi"}
        return request_json("POST", f"{url}/events/api/v1/events/{event_id}/registrations", body, timeout=60)

    with ThreadPoolExecutor(max_workers=50) as pool:
        return list(pool.map(one, range(REGISTRANTS)))


def test_200_registrations_for_20_seats_under_gunicorn(processes, smtp_sink_process, apps):
    processes.env["ELO_SMTP_URL"] = smtp_sink_process.url
    event = make_event(apps["events"], capacity=SEATS, mode="onsite", online_url="")
    web = processes.start_web("events", workers=4)
    answers = _register_all(web.url, event.id)
    statuses = collections.Counter(status for status, _body in answers)
    assert statuses == {201: REGISTRANTS}, statuses
    outcome = collections.Counter(body["status"] for _status, body in answers)  # type: ignore[index]
    assert outcome == {"pending": SEATS, "waitlisted": REGISTRANTS - SEATS}
    with db.transaction() as session:
        rows = session.scalars(select(Registration).where(Registration.event_id == event.id)
                               .order_by(Registration.queued_at, Registration.id)).all()
        assert len(rows) == REGISTRANTS
        confirmed = [r for r in rows if r.status is RegistrationStatus.PENDING]  # seats held until confirmed
        waiting = [r for r in rows if r.status is RegistrationStatus.WAITLISTED]
        assert len(confirmed) == SEATS
        first_five_waiting = [r.email for r in waiting[:5]]
        with apps["events"].app_context():
            cancel_links = [links.registration_url(r).split("/events/", 1)[1] for r in confirmed[:5]]
    processes.start_worker(processes=1, threads=4)
    processes.start_web("mailer", workers=1)
    for link in cancel_links:
        status, _ = request_json("POST", f"{web.url}/events/{link}")
        assert status == 200
    with db.transaction() as session:
        promoted = session.scalars(select(Registration).where(Registration.promoted_at.is_not(None))).all()
        assert sorted(r.email for r in promoted) == sorted(first_five_waiting)
        emails = [row.payload for row in session.scalars(select(OutboxMessage))
                  if row.payload.get("template") == "registration-promoted"]
    assert sorted(e["recipient"]["email"] for e in emails) == sorted(first_five_waiting)
    smtp_sink_process.wait_for(REGISTRANTS + 10, timeout=120)
    counts = smtp_sink_process.counts()
    for address in first_five_waiting:
        # the waiting-list notice and the promotion: one each
        assert counts[address] == 2, (address, counts[address])
