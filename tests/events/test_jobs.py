"""Reminders and feedback requests: sent once each by the scheduler at their times, also with two schedulers."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from services.events import jobs  # noqa: F401 - registers the job handlers
from services.events.models import Event, FeedbackResponse, db
from services.events.operations import feedback, schedule
from shared import scheduler
from shared.db import utcnow
from shared.formatting import HELSINKI
from shared.models import Job, JobStatus
from tests.events.exports import read_export
from tests.events.factories import make_event, register


def _tick_twice_at_once(app, now):
    """Two schedulers tick at the same moment (separate threads, separate connections)."""
    barrier = threading.Barrier(2)
    ran: list[int] = []

    def run(name):
        with app.app_context():
            barrier.wait()
            ran.append(scheduler.tick(db, f"scheduler-{name}", now=now))

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(ran)


def test_reminders_go_once_at_2_days_and_2_hours(events_app, sent_emails):
    event = make_event(events_app, online_url="https://meet.example.fi/r")
    register(events_app, event.id, "remote@example.fi", participation="remote")
    register(events_app, event.id, "onsite@example.fi", participation="onsite")
    starts = event.starts_at
    assert _tick_twice_at_once(events_app, starts - dt.timedelta(days=3)) == 0
    assert sent_emails("event-reminder") == []
    assert _tick_twice_at_once(events_app, starts - dt.timedelta(days=2) + dt.timedelta(seconds=1)) == 1
    first = sent_emails("event-reminder")
    assert sorted(m["idempotency_key"].rsplit(":", 1)[1] for m in first) == ["2d", "2d"]
    by_person = {m["recipient"]["email"]: m for m in first}
    assert by_person["remote@example.fi"]["context"]["online_url"] == "https://meet.example.fi/r"
    assert by_person["onsite@example.fi"]["context"]["online_url"] == ""
    assert _tick_twice_at_once(events_app, starts - dt.timedelta(hours=2) + dt.timedelta(seconds=1)) == 1
    assert len(sent_emails("event-reminder")) == 4
    assert _tick_twice_at_once(events_app, starts) == 0
    assert len(sent_emails("event-reminder")) == 4
    keys = [m["idempotency_key"] for m in sent_emails("event-reminder")]
    assert len(set(keys)) == 4


def test_a_time_change_moves_the_reminders(client, events_app, admin_headers, sent_emails):
    event = make_event(events_app)
    later = event.starts_at + dt.timedelta(days=3)
    client.patch(f"/events/api/v1/events/{event.id}", headers=admin_headers("organizer"),
                 json={"starts_at": later.isoformat(), "ends_at": (later + dt.timedelta(hours=2)).isoformat()})
    with db.transaction() as session:
        due = sorted(job.due_at for job in session.scalars(select(Job).where(Job.kind == "events.remind")))
    assert due == [later - dt.timedelta(days=2), later - dt.timedelta(hours=2)]


def test_feedback_requests_go_once_after_the_end_and_one_answer_per_registration(client, events_app, sent_emails):
    event = make_event(events_app)
    register(events_app, event.id, "a@example.fi")
    register(events_app, event.id, "b@example.fi", language="sv")
    assert _tick_twice_at_once(events_app, event.ends_at - dt.timedelta(minutes=1)) == 2  # the two reminders
    assert sent_emails("feedback-request") == []
    after = event.ends_at + dt.timedelta(hours=1)
    assert _tick_twice_at_once(events_app, after) == 1
    assert _tick_twice_at_once(events_app, after + dt.timedelta(days=1)) == 0
    requests = sent_emails("feedback-request")
    assert len(requests) == 2
    assert {r["language"] for r in requests} == {"fi", "sv"}
    link = requests[0]["context"]["feedback_url"].removeprefix("http://127.0.0.1:8000")
    assert client.get(link).status_code == 200
    bad = client.post(link, data={"overall": "9"})
    assert bad.status_code == 422
    assert client.post(link, data={"overall": "5", "useful": "4", "comments": "Hyvä päivä"}).status_code == 201
    assert client.post(link, data={"overall": "1"}).status_code == 409
    other = requests[1]["context"]["feedback_url"].removeprefix("http://127.0.0.1:8000")
    assert client.post(other, data={"overall": "3", "comments": "Bra"}).status_code == 201
    with db.transaction() as session:
        assert len(session.scalars(select(FeedbackResponse)).all()) == 2
    assert client.get("/events/feedback/forged-token").status_code == 404


def test_feedback_summary_and_csv_are_anonymous(client, events_app, admin_headers):
    event = make_event(events_app)
    people = [register(events_app, event.id, f"p{n}@example.fi", name=f"Nimi{n}") for n in range(3)]
    with events_app.app_context(), db.transaction() as session:
        for person, (rating, comment) in zip(people, [(5, "Loistava"), (3, ""), (4, "Hyödyllinen")], strict=True):
            feedback.submit_feedback(session, session.merge(person), {"overall": str(rating), "comments": comment})
    headers = admin_headers("organizer")
    summary = client.get(f"/events/api/v1/events/{event.id}/feedback", headers=headers).get_json()
    assert summary["responses"] == 3
    overall = next(q for q in summary["questions"] if q["key"] == "overall")
    assert overall["average"] == 4.0
    assert overall["distribution"]["5"] == 1
    comments = next(q for q in summary["questions"] if q["key"] == "comments")
    assert comments["answers"] == ["Hyödyllinen", "Loistava"]
    exported = client.get(f"/events/api/v1/events/{event.id}/feedback.csv", headers=headers)
    table = read_export(exported)
    assert [row["response"] for row in table] == ["1", "2", "3"]
    assert [row["overall"] for row in table] == ["5", "3", "4"]
    assert [row["comments"] for row in table] == ["Loistava", "", "Hyödyllinen"]
    text = exported.get_data(as_text=True)
    assert "Nimi" not in text
    assert "@" not in text


def test_a_cancelled_event_sends_no_reminders(client, events_app, admin_headers, sent_emails):
    event = make_event(events_app)
    register(events_app, event.id, "a@example.fi")
    client.post(f"/events/api/v1/events/{event.id}/cancel", headers=admin_headers("organizer"))
    _tick_twice_at_once(events_app, event.ends_at + dt.timedelta(days=1))
    assert sent_emails("event-reminder") == []
    assert sent_emails("feedback-request") == []
    with db.transaction() as session:
        statuses = {job.status for job in session.scalars(select(Job))}
        assert statuses <= {JobStatus.CANCELLED}
        assert session.get(Event, event.id).sequence == 1
    assert utcnow()


def test_a_recurring_meeting_is_reminded_before_each_occurrence_except_the_excluded(events_app, sent_emails):
    first = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    skipped = (first + dt.timedelta(weeks=1)).astimezone(HELSINKI).date().isoformat()  # EXDATEs are local dates
    event = make_event(events_app, kind="group-meeting", mode="online", address="", rrule="FREQ=WEEKLY;COUNT=3",
                       exdates=[skipped], reminder_minutes=[120], starts_at=first.isoformat(),
                       ends_at=(first + dt.timedelta(hours=1)).isoformat())
    register(events_app, event.id, "member@example.fi", participation="remote")
    with db.transaction() as session:
        starts = list(schedule.occurrences(session.get(Event, event.id)))
    assert starts == [first.astimezone(dt.UTC), (first + dt.timedelta(weeks=2)).astimezone(dt.UTC)]
    for occurrence in starts:
        assert _tick_twice_at_once(events_app, occurrence - dt.timedelta(minutes=119)) >= 1
    reminders = sent_emails("event-reminder")
    assert [m["context"]["starts_at"] for m in reminders] == [s.isoformat() for s in starts]
    assert len({m["idempotency_key"] for m in reminders}) == 2
    # After the last meeting only the series' one feedback request is left to run.
    assert _tick_twice_at_once(events_app, starts[-1] + dt.timedelta(days=30)) == 1
    assert len(sent_emails("event-reminder")) == 2
    assert len(sent_emails("feedback-request")) == 1


def test_a_series_with_an_end_asks_for_feedback_once_after_its_last_meeting(events_app, sent_emails):
    first = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    series = make_event(events_app, kind="training", rrule="FREQ=WEEKLY;COUNT=4", starts_at=first.isoformat(),
                        ends_at=(first + dt.timedelta(hours=2)).isoformat())
    open_ended = make_event(events_app, kind="group-meeting", rrule="FREQ=MONTHLY", starts_at=first.isoformat(),
                            ends_at=(first + dt.timedelta(hours=1)).isoformat())
    register(events_app, series.id, "osallistuja@example.fi")
    with db.transaction() as session:
        due = {job.key: job.due_at for job in session.scalars(select(Job).where(Job.kind == schedule.FEEDBACK_JOB))}
    last_meeting_ends = first + dt.timedelta(weeks=3, hours=2)
    assert due[f"{schedule.FEEDBACK_JOB}:{series.id}"] == last_meeting_ends + schedule.FEEDBACK_DELAY
    assert due[f"{schedule.FEEDBACK_JOB}:{open_ended.id}"] == first + dt.timedelta(hours=1, minutes=30)
    _tick_twice_at_once(events_app, first + dt.timedelta(days=1))
    assert sent_emails("feedback-request") == []  # not after the first meeting
    _tick_twice_at_once(events_app, last_meeting_ends + dt.timedelta(hours=1))
    assert [m["recipient"]["email"] for m in sent_emails("feedback-request")] == ["osallistuja@example.fi"]
