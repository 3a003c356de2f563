"""gunicorn config (`--config python:tests.reliability.kill_after_answer_conf`) for the kill-after-answer test.

- `post_request`: a worker that has answered a subscribe request (POST …/api/v1/subscriptions) kills itself
  with SIGKILL at once: gunicorn calls the hook after the whole answer was written to the client.
- `post_worker_init`: for an address starting with `unsent`, the message is not sent at all, as if the
  process had died between committing the request and sending its message (the worst moment).
"""

from __future__ import annotations

import os
import signal
from typing import Any


def post_worker_init(worker: Any) -> None:
    from services.subscriptions.subscribers.operations import intake

    real_send = vars(intake)["send"]

    def send(broker: Any, **kwargs: Any) -> Any:
        if str(kwargs["args"][0].get("email", "")).startswith("unsent"):
            return None
        return real_send(broker, **kwargs)

    vars(intake)["send"] = send


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    if req.method == "POST" and req.path.endswith("/api/v1/subscriptions"):
        os.kill(os.getpid(), signal.SIGKILL)
