"""The process's dramatiq broker, and declaring actors on it.

The broker is composed here from the transport (`shared.transport.connect`, chosen by
`ELO_BROKER_URL`) and the outbox's acknowledgement middleware (`shared.acknowledgement`), and
set before any actor is declared. Actors are declared with `actor`, which runs them inside their
service's app; tests and `elo up` move every declared actor to another broker with `use_broker`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import dramatiq
from dramatiq import Broker, Message, Middleware
from dramatiq.broker import MessageProxy

from shared.acknowledgement import OutboxAcknowledgement
from shared.apps import get_app
from shared.contract import Route
from shared.logs import SERVICE_OPTION, WorkerLogging
from shared.networks import NETWORK_OPTION, message_slug, set_message_slug, using_network
from shared.settings import load_settings
from shared.transport import broker_answers, connect, send

# `send` and `broker_answers` live in shared.transport; they are named here too for callers that
# know only the broker module.
__all__ = ["actor", "broker_answers", "build_broker", "get_broker", "hide_payloads", "send", "use_broker"]

P = ParamSpec("P")
R = TypeVar("R")

_actors: list[dramatiq.Actor[Any, Any]] = []
_lock = threading.Lock()
_current: Broker | None = None


def build_broker(url: str | None) -> Broker:
    """A broker for `url` that acknowledges finished outbox messages to their sender, and runs each actor
    with the request id its message carries (`shared.logs`)."""
    return connect(url, middleware=[OutboxAcknowledgement(), WorkerLogging(), NetworkOfMessage()])


def get_broker() -> Broker:
    """The process's broker, built from the settings the first time it is needed."""
    global _current  # noqa: PLW0603 - one broker per process, like dramatiq's own global
    with _lock:
        if _current is None:
            _current = build_broker(load_settings().broker_url)
            dramatiq.set_broker(_current)
        return _current


def use_broker(broker: Broker) -> Broker:
    """Make `broker` the process's broker and move every declared actor onto it."""
    global _current  # noqa: PLW0603
    with _lock:
        _current = broker
        dramatiq.set_broker(broker)
        for declared in _actors:
            declared.broker = broker
            broker.declare_actor(declared)
    return broker


def actor(route: Route | str, *, service: str, queue_name: str | None = None,
          **options: Any) -> Callable[[Callable[P, R]], Any]:
    """Declare an actor on `route` (or an actor name with `queue_name`) that runs inside `service`'s app.

        @actor(SEND_EMAIL, service="mailer", throws=(InvalidPayload,))

    Mark permanent errors with `throws=` so they are not retried.
    """
    if isinstance(route, Route):
        name, queue = route
    elif queue_name is not None:
        name, queue = route, queue_name
    else:
        raise TypeError(f"actor {route!r} needs a queue_name (or pass a shared.contract.Route)")

    def decorate(fn: Callable[P, R]) -> Any:
        @functools.wraps(fn)
        def run_in_app(*args: P.args, **kwargs: P.kwargs) -> R:
            with get_app(service).app_context(), using_network(network_of_message()):
                return fn(*args, **kwargs)

        declared = dramatiq.actor(actor_name=name, queue_name=queue, broker=get_broker(),
                                  **{**options, SERVICE_OPTION: service})(run_in_app)
        consumers = (logging.getLogger(f"dramatiq.worker.ConsumerThread({each})") for each in (queue, f"{queue}.DQ"))
        hide_payloads(declared.logger, logging.getLogger("dramatiq.worker.WorkerThread"), *consumers)
        _actors.append(declared)
        return declared

    return decorate


class UnknownNetwork(LookupError):
    """A message names a network this deployment does not have (it is retried: the list may be stale)."""


def network_of_message() -> Any:
    """The network the message being processed was sent in (None: the default network)."""
    from shared.network_registry import app_network

    slug = message_slug()
    if not slug:
        return None
    network = app_network(slug)
    if network is None:
        raise UnknownNetwork(f"the message names network {slug!r}, which this deployment does not have")
    return network


class NetworkOfMessage(Middleware):
    """Each actor runs in the network its message was sent in (`shared.networks`)."""

    def before_process_message(self, broker: Broker, message: Any) -> None:
        set_message_slug(message.options.get(NETWORK_OPTION))

    def after_process_message(self, broker: Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        set_message_slug(None)

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        set_message_slug(None)


class HidePayloads(logging.Filter):
    """dramatiq logs a message with its arguments (addresses, link tokens) when an actor receives it
    (DEBUG) and when it fails or is skipped. Each message is shown as its actor and id instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            if str(record.msg).startswith("Received args="):
                record.args = ("(hidden)", "(hidden)")
            else:
                record.args = tuple(_described(arg) for arg in record.args)
        return True


def _described(value: Any) -> Any:
    if isinstance(value, Message | MessageProxy):
        return f"{value.actor_name}(message {value.message_id})"
    return value


_HIDE_PAYLOADS = HidePayloads()


def hide_payloads(*loggers: logging.Logger) -> None:
    for logger in loggers:
        if _HIDE_PAYLOADS not in logger.filters:
            logger.addFilter(_HIDE_PAYLOADS)
