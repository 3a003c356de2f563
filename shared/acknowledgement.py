"""How a consumer tells the sending service that a message from its outbox is finished with.

A message relayed from an outbox carries `outbox_origin` (the sending service) and `outbox_id`
(its row) in its options. When the consumer is done with it (succeeded, skipped, or failed for
good), `OutboxAcknowledgement` sends the row's id to the origin's ack actor (`ack_target`),
which marks the row acknowledged (`shared.outbox.declare_ack_actor`); the sweeper re-sends rows
that stay unacknowledged. The process's broker carries this middleware (`shared.broker`).
"""

from __future__ import annotations

import logging
from typing import Any

from dramatiq import Broker, Middleware

from shared.contract import Route
from shared.networks import NETWORK_OPTION
from shared.transport import send

log = logging.getLogger(__name__)


def ack_target(service: str) -> Route:
    """The route of `service`'s ack actor."""
    return Route(f"{service}.outbox_ack", f"{service}.acks")


class OutboxAcknowledgement(Middleware):
    """Acknowledges a finished outbox message to the service that sent it.

    Runs after dramatiq's Retries middleware: a message that will be retried is not finished;
    one that succeeded, was skipped, or failed for good is.
    """

    def after_process_message(self, broker: Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        if exception is not None and not message.failed:
            return
        self._acknowledge(broker, message)

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        self._acknowledge(broker, message)

    @staticmethod
    def _acknowledge(broker: Broker, message: Any) -> None:
        origin = message.options.get("outbox_origin")
        row_id = message.options.get("outbox_id")
        if origin is None or row_id is None:
            return
        route = ack_target(origin)
        try:
            network = message.options.get(NETWORK_OPTION)
            send(broker, actor_name=route.actor, queue_name=route.queue, args=([row_id],),
                 options={NETWORK_OPTION: network} if network else None)
        except Exception:
            log.warning("could not acknowledge outbox row %s of %s", row_id, origin, exc_info=True)
