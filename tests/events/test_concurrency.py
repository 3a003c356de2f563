"""Capacity under concurrency on the embedded default: 200 simultaneous registrations for 20 seats
against a server with 8 threads end with exactly 20 confirmed and 180 waitlisted; then 5
cancellations promote exactly the first 5 waiting, each emailed once. (The same under gunicorn with 4
workers on PostgreSQL: tests/reliability/test_events_concurrency.py.)"""

from __future__ import annotations

import collections
import dataclasses
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services.events import links
from services.events.models import Registration, RegistrationStatus, db
from tests.conftest import serving
from tests.events.factories import make_event

REGISTRANTS = 200
SEATS = 20


def _post(url, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - the test server
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            raw = response.read()
            is_json = response.headers.get_content_type() == "application/json"
            return response.status, json.loads(raw) if is_json else raw
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_200_registrations_for_20_seats_with_8_server_threads(apps, backend, sent_emails):
    app = apps["events"]
    # 200 people register from this one address on purpose: lift the per-client limit.
    app.config["ELO_SETTINGS"] = dataclasses.replace(app.config["ELO_SETTINGS"], registrations_per_ip=10_000)
    event = make_event(app, capacity=SEATS, mode="onsite", online_url="")
    with serving(DispatcherMiddleware(NotFound(), {"/events": app}), threads=8) as port:
        base = f"http://127.0.0.1:{port}/events"

        def one(n):
            return _post(f"{base}/api/v1/events/{event.id}/registrations",
                         {"name": f"Osallistuja {n}", "email": f"person{n}@example.fi", "participation": "onsite"})

        with ThreadPoolExecutor(max_workers=32) as pool:
            answers = list(pool.map(one, range(REGISTRANTS)))
        assert collections.Counter(status for status, _ in answers) == {201: REGISTRANTS}
        assert collections.Counter(body["status"] for _, body in answers) == {"pending": SEATS,
                                                                              "waitlisted": REGISTRANTS - SEATS}
        with db.transaction() as session:
            rows = session.scalars(select(Registration).order_by(Registration.queued_at, Registration.id)).all()
            holding = [r for r in rows if r.status is RegistrationStatus.PENDING]
            first_five = [r.email for r in rows if r.status is RegistrationStatus.WAITLISTED][:5]
        assert len(rows) == REGISTRANTS
        assert len(holding) == SEATS
        with app.app_context():
            cancel_urls = [base + "/" + links.registration_url(r).split("/events/", 1)[1] for r in holding[:5]]
        with ThreadPoolExecutor(max_workers=5) as pool:
            assert [status for status, _ in pool.map(_post, cancel_urls)] == [200] * 5
    promoted = sent_emails("registration-promoted")
    assert sorted(p["recipient"]["email"] for p in promoted) == sorted(first_five)
    assert len({p["idempotency_key"] for p in promoted}) == 5
    assert len(sent_emails("registration-pending")) == SEATS
