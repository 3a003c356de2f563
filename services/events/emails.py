"""The emails the events service sends, as outbox rows for `mailer.send_email`.

Each email has an idempotency key stable per purpose (`registration-confirmed:<id>.<created>:<n>`,
`event-reminder:<id>.<created>:2d`, …): the mailer sends one key once, so a retried job or a
doubled message never doubles an email. The registration's creation time beside its id keeps the
key of one person's email from ever matching another person's (ids are never reused, and this
holds even for a rebuilt database). Emails go in the registrant's language.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from services.events import links
from services.events.calendar import Personal, calendar_domain, calendar_text
from services.events.models import Event, EventMode, Participation, Registration, RegistrationStatus
from shared.contract import ANONYMOUS, SEND_EMAIL, EmailRequest, dump_payload
from shared.db import utcnow
from shared.outbox import enqueue
from shared.web import network_name


def sees_online_link(event: Event, registration: Registration) -> bool:
    """Remote participants (and everyone at an online event) get the online link."""
    if not event.online_url:
        return False
    return event.mode is EventMode.ONLINE or registration.participation is Participation.REMOTE


def organizer_of(event: Event, language: str) -> tuple[str, str]:
    """The ORGANIZER of mailed copies: the address the mail comes from (calendars trust a cancellation
    from the organiser), named after the event's organiser or the network in the reader's language."""
    settings = current_app.config.get("ELO_SETTINGS")
    address = parseaddr(settings.mail_from)[1] if settings is not None else ""
    return event.organiser_name or network_name(language), address or "noreply@localhost"


def ics_attachment(session: Session, event: Event, registration: Registration, *,
                   cancel: bool = False) -> dict[str, str]:
    """The event as the registrant's own calendar object, with the same UID as the feeds: METHOD:PUBLISH,
    or for a cancellation (of the event or of this registration) METHOD:CANCEL with STATUS:CANCELLED and a
    SEQUENCE above every copy the person got, so calendars that imported the event drop it."""
    personal = Personal(online_url=event.online_url if sees_online_link(event, registration) else "",
                        organizer=organizer_of(event, registration.language),
                        attendee=(registration.name, registration.email) if cancel else None,
                        cancelled=cancel, stamp=registration.cancelled_at if cancel else None)
    host = calendar_domain(session, links.base_url())
    method = "CANCEL" if cancel else "PUBLISH"
    text = calendar_text([event], host=host, name=event.text("title", registration.language),
                         language=registration.language, base_url=links.base_url(), personal={event.id: personal},
                         method=method)
    return {"filename": "event.ics", "content_type": f"text/calendar; method={method}", "content": text}


def event_context(event: Event, registration: Registration) -> dict[str, Any]:
    language = registration.language
    context: dict[str, Any] = {
        "event_title": event.text("title", language),
        "event_kind": event.kind.value,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "mode": event.mode.value,
        "participation": registration.participation.value,
        "address": event.address if event.mode is not EventMode.ONLINE else "",
        "online_url": event.online_url if sees_online_link(event, registration) else "",
        "event_url": links.event_url(event.slug),
        "registration_url": links.registration_url(registration),
        "calendar_url": links.personal_calendar_url(registration),
        "organiser_name": event.organiser_name,
        "organiser_email": event.organiser_email,
        "personal": {"name": registration.name},
    }
    return context


def ident(registration: Registration) -> str:
    """The registration in idempotency keys: its id and creation time (`<id>.<created>`)."""
    return f"{registration.id}.{links.registration_stamp(registration)}"


def hold_context(registration: Registration) -> dict[str, Any]:
    """The confirmation link, and for a held seat the time the hold ends (nothing once confirmed)."""
    if registration.status is RegistrationStatus.PENDING and registration.hold_until is not None:
        return {"confirm_url": links.confirm_url(registration), "hold_until": registration.hold_until.isoformat()}
    if registration.status is RegistrationStatus.WAITLISTED and registration.address_confirmed_at is None:
        return {"confirm_url": links.confirm_url(registration)}
    return {}


def send(session: Session, *, template: str, key: str, registration: Registration, event: Event,
         extra: dict[str, Any] | None = None, with_ics: bool = False, cause: str | None = None,
         cancel_ics: bool = False, deliver: bool = True) -> dict[str, Any]:
    """`cause=ANONYMOUS` for mail that anyone typing the address can cause (the mailer caps it);
    `cancel_ics` attaches the METHOD:CANCEL copy instead of the PUBLISH one. `deliver=False` only
    returns the payload (for `enqueue` later), else it is also put in the outbox."""
    context = event_context(event, registration)
    context.update(extra or {})
    payload = dump_payload(EmailRequest, {
        "idempotency_key": key,
        "template": template,
        "language": registration.language,
        "recipient": {"email": registration.email, "name": registration.name},
        "context": context,
        "attachments": [ics_attachment(session, event, registration, cancel=cancel_ics)]
        if with_ics or cancel_ics else [],
        "origin": str(current_app.config.get("SERVICE", "events")),
        "cause": cause,
    })
    if deliver:
        enqueue(session, SEND_EMAIL, payload)
    return payload


# A retried request or a double click registers again within seconds: the first email is on its
# way, so a second one would only be a duplicate (and a way to flood someone's inbox).
REPEAT_CONFIRMATION_AFTER = dt.timedelta(minutes=10)


def confirmation(session: Session, event: Event, registration: Registration, *, repeat: bool = False,
                 now: dt.datetime | None = None, cause: str | None = ANONYMOUS) -> None:
    """Pending → "confirm your registration" with the link; confirmed → confirmation with .ics;
    waitlisted → waiting-list notice (with the link while the address is unconfirmed).

    A repeat registration gets a fresh one, unless the last one went out moments ago (by `now`).
    `cause=None` for the confirmation the person asked for from the email's link (not anonymous).
    """
    now = now or utcnow()
    last = registration.last_confirmation_at
    if repeat and last is not None and now - last < REPEAT_CONFIRMATION_AFTER:
        return
    registration.last_confirmation_at = now
    registration.confirmations_sent += 1
    send_confirmation(session, event, registration, cause=cause)


def send_confirmation(session: Session, event: Event, registration: Registration, *,
                      cause: str | None = ANONYMOUS, deliver: bool = True) -> dict[str, Any]:
    """The email of `confirmation` for a registration already stamped (`last_confirmation_at`, and
    `confirmations_sent` counting this one): a new registration is inserted stamped, in one statement.
    `deliver=False`: only its payload (a registration prepares it before it locks the event)."""
    n = registration.confirmations_sent
    if registration.status is RegistrationStatus.PENDING:
        return send(session, template="registration-pending", key=f"registration-pending:{ident(registration)}:{n}",
                    registration=registration, event=event, extra=hold_context(registration), cause=ANONYMOUS,
                    deliver=deliver)
    if registration.holds_seat:
        return send(session, template="registration-confirmed",
                    key=f"registration-confirmed:{ident(registration)}:{n}", registration=registration, event=event,
                    with_ics=True, cause=cause, deliver=deliver)
    return send(session, template="registration-waitlisted", key=f"registration-waitlisted:{ident(registration)}:{n}",
                registration=registration, event=event, extra=hold_context(registration), cause=ANONYMOUS,
                deliver=deliver)


def promotion(session: Session, event: Event, registration: Registration) -> None:
    stamp = registration.queued_at.strftime("%Y%m%d%H%M%S%f")
    send(session, template="registration-promoted", key=f"registration-promoted:{ident(registration)}:{stamp}",
         registration=registration, event=event, extra=hold_context(registration), with_ics=registration.holds_seat)


def cancellation(session: Session, event: Event, registration: Registration) -> None:
    stamp = registration.queued_at.strftime("%Y%m%d%H%M%S%f")
    send(session, template="registration-cancelled", key=f"registration-cancelled:{ident(registration)}:{stamp}",
         registration=registration, event=event, cancel_ics=True)


def change_notice(session: Session, event: Event, registration: Registration) -> None:
    send(session, template="event-changed", key=f"event-changed:{ident(registration)}:{event.sequence}",
         registration=registration, event=event, with_ics=registration.holds_seat)


def event_cancelled(session: Session, event: Event, registration: Registration) -> None:
    send(session, template="event-cancelled", key=f"event-cancelled:{ident(registration)}:{event.sequence}",
         registration=registration, event=event, cancel_ics=True)


def reminder(session: Session, event: Event, registration: Registration, label: str,
             starts_at: dt.datetime | None = None) -> None:
    """`label` is 2d / 2h (and the occurrence's date for a recurring event); `starts_at` the occurrence."""
    extra: dict[str, Any] = {"reminder": label}
    if starts_at is not None and starts_at != event.starts_at:
        ends_at = starts_at + (event.ends_at - event.starts_at)
        extra.update(starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
    send(session, template="event-reminder", key=f"event-reminder:{ident(registration)}:{label}",
         registration=registration, event=event, extra=extra)


def feedback_request(session: Session, event: Event, registration: Registration) -> None:
    send(session, template="feedback-request", key=f"feedback-request:{ident(registration)}",
         registration=registration, event=event, extra={"feedback_url": links.feedback_url(registration)})
