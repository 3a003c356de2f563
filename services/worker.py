"""The worker's entry: `dramatiq services.worker` (what `elo worker` runs).

The broker is set before any actor module is imported (DESIGN: actors).
"""

from __future__ import annotations

from shared.broker import get_broker

broker = get_broker()

import services.events.actors  # noqa: E402
import services.mailer.actors  # noqa: E402
import services.subscriptions.actors  # noqa: E402, F401
