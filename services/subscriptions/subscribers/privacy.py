"""The person's rights: export everything held about them (here and in the other services) and erase it.

Both start from a fresh single-use "my data" link (`pages/my_data.py`), which carries the keyed hash of the
address, never the address. The other services answer through their typed clients (`shared.clients`);
erasure reaches them as `ErasePerson` messages written in the same transaction.

One person may appear in several networks of a deployment (`shared.networks`). The export gathers every
network they appear in, each part named by its network; erasure covers the link's network or all of them.
Each network is read and erased in a session of its own, and the other services are asked in that network.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.models import db
from services.subscriptions.newsletter.models import Article
from services.subscriptions.newsletter.privacy import ERASED_ADDRESS, erase_author, export_author
from services.subscriptions.subscribers.models import (
    CONSENT_WORDING_VERSION,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Subscriber,
    Suppression,
    SuppressionReason,
)
from services.subscriptions.surveys import privacy as survey_privacy
from shared.clients import ServiceCallFailed
from shared.clients.events import EventsClient
from shared.clients.mailer import MailerClient
from shared.contract import ERASE_PERSON_IN, ErasePerson, dump_payload
from shared.db import utcnow
from shared.network_registry import app_networks
from shared.networks import Network, current_network, using_network
from shared.outbox import enqueue
from shared.privacy import email_hash, forget_in_outbox
from shared.web import network_name


class PersonalDataSource(Protocol):
    service: str

    def export_personal_data(self, email: str | None = None, *, email_hash: str | None = None) -> dict[str, Any]: ...

    def holds_personal_data(self, email: str | None = None, *, email_hash: str | None = None) -> bool: ...


def _sources() -> tuple[PersonalDataSource, ...]:
    return (EventsClient(), MailerClient())


def hash_of(email: str) -> str:
    return email_hash(str(current_app.config["SECRET_KEY"]), email)


def subscriber_of(session: Session, address_hash: str, *, lock: bool = False) -> Subscriber | None:
    query = select(Subscriber).where(Subscriber.email_hash == address_hash)
    return session.scalar(query.with_for_update() if lock else query)


def author_addresses(session: Session, address_hash: str) -> list[str]:
    """The spellings of the address on submitted articles (articles keep the address, not its hash)."""
    spellings = session.scalars(select(Article.author_email).where(Article.author_email != ERASED_ADDRESS).distinct())
    return sorted({address for address in spellings if hash_of(address) == address_hash})


def holds_here(session: Session, address_hash: str) -> bool:
    return (subscriber_of(session, address_hash) is not None or bool(author_addresses(session, address_hash))
            or survey_privacy.holds(session, address_hash))


def export_here(session: Session, address_hash: str) -> dict[str, Any]:
    """This service's part of the export: the subscription with its consent log, and submitted articles."""
    subscriber = subscriber_of(session, address_hash)
    articles = [article for address in author_addresses(session, address_hash)
                for article in export_author(session, address)]
    return {"generated_at": utcnow().isoformat(),
            "subscriptions": subscription_data(subscriber) if subscriber is not None else None,
            "articles": articles, "surveys": survey_privacy.export_person(session, address_hash)}


def export_elsewhere(address_hash: str) -> dict[str, Any]:
    """What the events service and the mailer hold, by service name; a service that cannot answer says so.
    Call it with no transaction open: the other services may take their time."""
    return {source.service: _export_from(source, address_hash) for source in _sources()}


def _export_from(source: PersonalDataSource, address_hash: str) -> dict[str, Any]:
    try:
        return source.export_personal_data(email_hash=address_hash)
    except ServiceCallFailed:
        return {"unavailable": f"The {source.service} service did not answer. Please try again later."}


def addresses_in(exported: Any) -> set[str]:
    """Every address (value of an "email" key) anywhere in an export, to forget them in the outbox too."""
    found: set[str] = set()
    if isinstance(exported, dict):
        for key, value in exported.items():
            if key == "email" and isinstance(value, str) and "@" in value:
                found.add(value)
            else:
                found |= addresses_in(value)
    elif isinstance(exported, list):
        for item in exported:
            found |= addresses_in(item)
    return found


def subscription_data(subscriber: Subscriber) -> dict[str, Any]:
    """Everything the subscribers part holds about the subscriber."""
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "organisation": subscriber.organisation,
        "language": subscriber.language,
        "status": subscriber.status.value,
        "topics": subscriber.topic_names,
        "source": subscriber.source.value,
        "consent_wording_version": subscriber.consent_wording_version,
        "created_at": _iso(subscriber.created_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "unsubscribed_at": _iso(subscriber.unsubscribed_at),
        "consent_log": [
            {"action": event.action.value, "source": event.source.value, "wording_version": event.wording_version,
             "language": event.language, "topics": event.topics.split(), "occurred_at": _iso(event.occurred_at)}
            for event in subscriber.consent_events
        ],
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def erase_everywhere(session: Session, address_hash: str, known_addresses: Iterable[str] = ()) -> str:
    """Erase the address here and ask the other services to do the same; returns the request id.

    `known_addresses` are its spellings found in the other services' exports (to forget them in this
    service's outbox too). A subscriber leaves a suppression entry and an 'erase' consent record, both
    holding only the keyed hash.
    """
    request_id = uuid.uuid4().hex
    addresses = set(known_addresses) | set(author_addresses(session, address_hash))
    subscriber = subscriber_of(session, address_hash, lock=True)
    if subscriber is not None:
        addresses.add(subscriber.email)
        _erase_subscriber(session, subscriber)
    addresses |= survey_privacy.erase_person(session, address_hash)
    for address in sorted(addresses):
        erase_author(session, address)
        forget_in_outbox(session, address)
    for target in ERASE_PERSON_IN.values():
        enqueue(session, target, dump_payload(ErasePerson, {"email_hash": address_hash, "request_id": request_id}))
    return request_id


def _erase_subscriber(session: Session, subscriber: Subscriber) -> None:
    address_hash, language = subscriber.email_hash, subscriber.language
    session.delete(subscriber)
    session.flush()
    if session.get(Suppression, address_hash) is None:
        session.add(Suppression(email_hash=address_hash, reason=SuppressionReason.ERASED))
    session.add(ConsentEvent(subscriber_id=None, email_hash=address_hash, action=ConsentAction.ERASE,
                             source=ConsentSource.EMAIL, wording_version=CONSENT_WORDING_VERSION,
                             language=language, topics="", occurred_at=utcnow()))


# --- several networks ------------------------------------------------------------------------------------

def slug_of(network: Network | None) -> str:
    """The network's slug; the default network's is the one its pages also answer at."""
    return network.slug if network is not None else str(current_app.config["ELO_SETTINGS"].network_slug)


def name_of(network: Network | None, language: str) -> str:
    with using_network(network):
        return network_name(language)


def deployment_networks() -> list[Network | None]:
    """Every network of the deployment: the default one (None) first, then the others as they were added."""
    return [None, *app_networks()]


def appears_in(network: Network | None, address_hash: str, *, unanswered_counts: bool) -> bool:
    """Whether `network` holds anything about the address, in any service. Call it with no transaction open.
    `unanswered_counts`: a service that does not answer counts as holding (for the export and the erasure,
    which must not skip it silently) or as holding nothing (for mailing a link)."""
    with using_network(network):
        with db.transaction() as session:
            if holds_here(session, address_hash):
                return True
        for source in _sources():
            try:
                if source.holds_personal_data(email_hash=address_hash):
                    return True
            except ServiceCallFailed:
                if unanswered_counts:
                    return True
    return False


def networks_of(address_hash: str) -> list[Network | None]:
    """The current network, and every other network the address appears in, in the deployment's order."""
    here = slug_of(current_network())
    return [network for network in deployment_networks()
            if slug_of(network) == here or appears_in(network, address_hash, unanswered_counts=True)]


def other_networks_of(address_hash: str) -> list[Network | None]:
    """Every network but the current one that the address appears in."""
    here = slug_of(current_network())
    return [network for network in networks_of(address_hash) if slug_of(network) != here]


def holds_in_any_network(address_hash: str) -> bool:
    """Whether any network holds the address (a service that does not answer counts as holding nothing)."""
    return any(appears_in(network, address_hash, unanswered_counts=False) for network in deployment_networks())


def export_network(network: Network | None, address_hash: str, language: str) -> dict[str, Any]:
    """One network's part of the export, named by the network (its name in `language`)."""
    with using_network(network):
        with db.transaction() as session:
            here = export_here(session, address_hash)
        return {"network": {"slug": slug_of(network), "name": name_of(network, language)},
                **here, **export_elsewhere(address_hash)}


def export_all_networks(address_hash: str, language: str) -> dict[str, Any]:
    """The current network's part at the top (the export's shape for one network, named by it), and the part
    of every other network the address appears in under `other_networks`. No transaction may be open."""
    here = slug_of(current_network())
    parts = [export_network(network, address_hash, language) for network in networks_of(address_hash)]
    [this] = [part for part in parts if part["network"]["slug"] == here]
    return {**this, "other_networks": [part for part in parts if part is not this]}


def parts_of(exported: dict[str, Any]) -> list[dict[str, Any]]:
    """Every network's part of an `export_all_networks` answer, the current network's first."""
    this = {key: value for key, value in exported.items() if key != "other_networks"}
    return [this, *exported.get("other_networks", [])]


def erase_in_networks(networks: Sequence[Network | None], address_hash: str) -> None:
    """`erase_everywhere` in each network, each in a transaction of its own (its messages go out in that
    network). No transaction may be open."""
    for network in networks:
        with using_network(network):
            found = addresses_in(export_elsewhere(address_hash))
            with db.transaction() as session:
                erase_everywhere(session, address_hash, found)
