"""The process's broker: composed from the transport and the outbox's acknowledgement; actors on named routes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from dramatiq import Message
from dramatiq.brokers.stub import StubBroker

from shared.acknowledgement import OutboxAcknowledgement, ack_target
from shared.broker import actor, build_broker
from shared.contract import Route
from shared.transport import connect

ROUTED = Route("tests.routed", "tests-routed")


@actor(ROUTED, service="mailer", max_retries=0)
def routed(payload: dict[str, str]) -> None:
    """Declared on a named route: the actor's name and queue come from the route."""


def queued(broker: StubBroker, queue_name: str) -> list[Message]:
    return [Message.decode(raw) for raw in broker.queues[queue_name].queue] if queue_name in broker.queues else []


def acknowledgements(broker) -> list[OutboxAcknowledgement]:
    return [each for each in broker.middleware if isinstance(each, OutboxAcknowledgement)]


def test_the_transport_adds_only_the_middleware_it_is_given():
    assert acknowledgements(connect(None)) == []
    given = OutboxAcknowledgement()
    assert acknowledgements(connect(None, middleware=[given])) == [given]


def test_the_process_broker_acknowledges_outbox_messages():
    assert len(acknowledgements(build_broker(None))) == 1


def test_an_actor_declared_on_a_route_takes_its_name_and_queue(broker):
    assert (routed.actor_name, routed.queue_name) == ROUTED
    assert broker.get_actor(ROUTED.actor) is routed


def test_an_actor_named_by_a_string_needs_its_queue():
    with pytest.raises(TypeError, match="queue_name"):
        actor("tests.no_queue", service="mailer")


@pytest.mark.parametrize(("failed", "exception", "acknowledged"), [
    (False, None, True),  # done
    (True, RuntimeError("for good"), True),  # failed for good: no retry comes
    (False, RuntimeError("once"), False),  # will be retried: not finished yet
])
def test_a_finished_outbox_message_is_acknowledged_to_its_sender(failed, exception, acknowledged):
    broker = StubBroker()
    message = SimpleNamespace(options={"outbox_origin": "events", "outbox_id": 7}, failed=failed)
    OutboxAcknowledgement().after_process_message(broker, message, exception=exception)
    route = ack_target("events")
    sent = [(each.actor_name, each.args) for each in queued(broker, route.queue)]
    assert sent == ([(route.actor, ([7],))] if acknowledged else [])


def test_a_message_from_no_outbox_is_not_acknowledged():
    broker = StubBroker()
    OutboxAcknowledgement().after_skip_message(broker, SimpleNamespace(options={}, failed=False))
    assert broker.queues == {}
