"""The dramatiq broker, chosen by `ELO_BROKER_URL`, set before any actor is declared.

unset → StubBroker with worker threads in the same process (made durable by the outbox);
`amqp://` → RabbitMQ with publisher confirms; `redis://` → Redis. Actors are declared with
`shared.broker.actor`, which runs them inside their service's app and lets tests and
`elo up` move every actor to another broker with `use_broker`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import dramatiq
from dramatiq import Broker, Message
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker

from shared.apps import get_app

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_actors: list[dramatiq.Actor[Any, Any]] = []
_lock = threading.Lock()
_current: Broker | None = None


def build_broker(url: str | None) -> Broker:
    broker: Broker
    if url is None:
        broker = StubBroker()
        broker.emit_after("process_boot")
    elif url.startswith("amqp"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url, confirm_delivery=True)
    else:
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]
    from shared.outbox import OutboxAcknowledgement

    broker.add_middleware(OutboxAcknowledgement())
    return broker


def get_broker() -> Broker:
    """The process's broker, built from the settings the first time it is needed."""
    global _current  # noqa: PLW0603 - one broker per process, like dramatiq's own global
    with _lock:
        if _current is None:
            from shared.settings import load_settings

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


def actor(name: str, *, queue_name: str, service: str, **options: Any) -> Callable[[Callable[P, R]], Any]:
    """Declare an actor that runs inside `service`'s app context.

    Mark permanent errors with `throws=` so they are not retried.
    """

    def decorate(fn: Callable[P, R]) -> Any:
        @functools.wraps(fn)
        def run_in_app(*args: P.args, **kwargs: P.kwargs) -> R:
            with get_app(service).app_context():
                return fn(*args, **kwargs)

        declared = dramatiq.actor(actor_name=name, queue_name=queue_name, broker=get_broker(), **options)(run_in_app)
        hide_payloads(declared.logger, logging.getLogger("dramatiq.worker.WorkerThread"),
                      *(logging.getLogger(f"dramatiq.worker.ConsumerThread({queue})")
                        for queue in (queue_name, f"{queue_name}.DQ")))
        _actors.append(declared)
        return declared

    return decorate


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


def send(broker: Broker, *, actor_name: str, queue_name: str, args: tuple[Any, ...] = (),
         options: dict[str, Any] | None = None, message_id: str | None = None) -> Message[Any]:
    """Send by name, so a service never imports another service's actors."""
    if isinstance(broker, StubBroker) and queue_name not in broker.queues:
        broker.declare_queue(queue_name)
    message: Message[Any] = Message(queue_name=queue_name, actor_name=actor_name, args=args, kwargs={},
                                    options=options or {})
    if message_id:
        message = message.copy(message_id=message_id)
    return broker.enqueue(message)


def broker_answers(url: str | None) -> bool:
    """For health checks: can we reach the broker at `url` now? (None = embedded, always.)"""
    if url is None:
        return True
    try:
        if url.startswith("redis"):
            import redis

            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        import pika

        params = pika.URLParameters(url)
        params.socket_timeout = 2
        params.blocked_connection_timeout = 2
        params.connection_attempts = 1
        pika.BlockingConnection(params).close()
    except Exception:
        return False
    return True
