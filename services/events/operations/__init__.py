"""Use-cases of the events service: plain functions taking a Session; they flush, never commit.

The API, the pages, the actors and the jobs call these and commit once. One module per concern:

- events: create, change and cancel an event (`lock_event`, `get_event`, `event_by_slug`)
- schedule: recurrence (`occurrences`), reminders and the feedback request as scheduler jobs
- listing: upcoming public events, the year calendar, the calendar feeds' rows and versions
- seats: seats taken, the waiting list, promotion to a free seat
- registrations: register, cancel, check in, the registration behind a personal link
- reports: the organiser's lists, counts and the registrations export
- feedback: answers to the feedback questions, the anonymous summary and export, the requests
- year_figures: the year in events for the coordinator's annual report, and the year's participants

Export and erasure of a person's data are `services.events.privacy`; the registration body is
checked by `services.events.schemas.RegistrationInput`.

How capacity holds under concurrency
------------------------------------
Every use-case that can take or free a seat (`register`, `cancel_registration`,
`promote`, `update_event`, `cancel_event`, `erase_person`) first calls `lock_event`, which reads the
event row with `SELECT … FOR UPDATE` on PostgreSQL. Concurrent requests for the same event queue
on that row lock, so "count the confirmed seats, then insert" is never interleaved, in any
number of processes. On SQLite every transaction starts with `BEGIN IMMEDIATE`
(shared.db): a transaction that may write holds the database's write lock from its first
statement, so the same count-then-insert runs one writer at a time. The unique constraint
(event_id, email_hash) is the last line against double registrations of one address.
The lock order is always event row, then registration rows, so two use-cases cannot deadlock.
"""
