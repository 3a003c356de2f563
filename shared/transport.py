"""The message transport: a dramatiq broker for a URL, sending a message by actor name, and
whether the broker answers.

    unset      → StubBroker: in memory, worker threads in this process (made durable by the outbox)
    amqp://…   → RabbitMQ with publisher confirms
    redis://…  → Redis

This module knows nothing of actors, apps or the outbox: `connect` takes the extra middleware
it is given. `shared.broker` composes the process's broker from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dramatiq import Broker, Message, Middleware
from dramatiq.brokers.stub import StubBroker


def connect(url: str | None, middleware: Iterable[Middleware] = ()) -> Broker:
    """A broker for `url` (None: the in-memory StubBroker) with `middleware` added after dramatiq's own."""
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
    for extra in middleware:
        broker.add_middleware(extra)
    return broker


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
