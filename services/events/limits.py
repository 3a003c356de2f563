"""Rate limits on registration, for the API and the page alike.

Per client address (ELO_REGISTRATIONS_PER_IP per 15 minutes) against scripts filling an event, and
per registered address (5 an hour) because each registration sends that address an email.
"""

from __future__ import annotations

from flask import current_app, request

from shared.privacy import email_hash
from shared.ratelimit import check_rate

WINDOW_PER_IP = 15 * 60
PER_ADDRESS = 5
WINDOW_PER_ADDRESS = 3600


def limit_registrations(email: object) -> None:
    """Raise TooManyRequests when this client or this address registers too often.

    Runs before the registration is validated, so `email` may be anything a client sent."""
    settings = current_app.config["ELO_SETTINGS"]
    check_rate(f"register:ip:{request.remote_addr}", settings.registrations_per_ip, WINDOW_PER_IP)
    if isinstance(email, str) and email.strip():
        check_rate(f"register:address:{email_hash(settings.secret_key, email)}", PER_ADDRESS, WINDOW_PER_ADDRESS)
