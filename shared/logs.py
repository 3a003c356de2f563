"""Log lines, one JSON object each (or plain text), carrying the id of the request that caused them.

    configure_logging("json")   # process start: gunicorn app, worker, scheduler (ELO_LOG_FORMAT overrides)

- Every HTTP request gets an id: the caller's `X-Request-ID` when it is a sane token, else a new one. It is
  sent back in the `X-Request-ID` response header and is in every log line written while the request runs.
- A message relayed from the outbox during the request carries the id in its options (`message_options`);
  `RequestIdMiddleware` restores it in the worker, so the actor's log lines, and the messages it sends in
  turn, carry the same id. A message sent without one (the sweeper, the scheduler) uses its message id.
- Secrets never reach the output: passwords in URLs, bearer tokens and token-like path segments
  (`/confirm/<token>`) are masked in every line, whoever logged it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from dramatiq import Broker, Middleware
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request

from shared.networks import NETWORK_OPTION, current_slug
from shared.settings import SettingsError

REQUEST_ID_HEADER = "X-Request-ID"
MESSAGE_OPTION = "request_id"
FORMATS = ("json", "text")

_request_id: ContextVar[str | None] = ContextVar("elo_request_id", default=None)
_actor_service: ContextVar[str | None] = ContextVar("elo_actor_service", default=None)
SERVICE_OPTION = "elo_service"  # the actor option naming the service an actor runs in (`shared.broker.actor`)
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
request_log = logging.getLogger("elo.request")

_MASKS = (
    (re.compile(r"(?<=://)([^/\s:@]+):[^/\s@]+@"), r"\1:***@"),  # scheme://user:password@host
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1***"),
    (re.compile(r"(?i)([?&](?:token|key|secret|password|signature)=)[^&\s\"']+"), r"\1***"),
    # Link tokens in paths (itsdangerous: base64url parts joined by dots): 24 characters and more with upper
    # and lower case letters and digits, which file names, slugs and (hex) message ids do not mix.
    (re.compile(r"(?<=/)(?=[\w\-.]*[A-Z])(?=[\w\-.]*[a-z])(?=[\w\-.]*[0-9])[\w\-.]{24,}", re.ASCII), "***"),
)


def current_request_id() -> str | None:
    return _request_id.get()


def sane_request_id(value: object) -> str | None:
    """`value` when it is an id we can log and send on safely (no spaces, no markup, not too long)."""
    return value if isinstance(value, str) and _SANE_ID.fullmatch(value) else None


def message_options() -> dict[str, str]:
    """Options for a dramatiq message sent now: the current request id, if any, and the network
    (`shared.networks`) unless it is the default one."""
    request_id = current_request_id()
    options = {MESSAGE_OPTION: request_id} if request_id else {}
    slug = current_slug()
    if slug:
        options[NETWORK_OPTION] = slug
    return options


def mask_secrets(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


# --- HTTP requests -----------------------------------------------------------------------------------

def init_request_ids(app: Flask) -> None:
    """Give every request of `app` an id (in the logs and the `X-Request-ID` header) and log one line
    per request with its route (the URL rule, never the path: paths hold link tokens)."""
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_forget_request)


def _start_request() -> None:
    g.elo_request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
    g.elo_request_started = time.perf_counter()
    g.elo_request_id_token = _request_id.set(g.elo_request_id)


def _finish_request(response: Response) -> Response:
    request_id = g.get("elo_request_id")
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
        elapsed = time.perf_counter() - g.get("elo_request_started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        request_log.info("%s %s%s %s %.1f ms", request.method, request.script_root, route, response.status_code,
                         elapsed * 1000)
    return response


def _forget_request(_error: BaseException | None) -> None:
    token = g.pop("elo_request_id_token", None)
    if token is not None:
        _request_id.reset(token)


# --- messages ------------------------------------------------------------------------------------------

class WorkerLogging(Middleware):
    """In the worker: the request id a message carries, and its actor's service, are in every line written
    while the actor runs; in a `dramatiq` worker process (`elo worker`), whose logging dramatiq set up,
    every line is in our format."""

    actor_options = {SERVICE_OPTION}

    def after_process_boot(self, broker: Broker) -> None:
        configure_logging("json", restyle=True)  # dramatiq's handler writes to its pipe to the parent

    def before_process_message(self, broker: Broker, message: Any) -> None:
        _request_id.set(sane_request_id(message.options.get(MESSAGE_OPTION)) or message.message_id)
        actor = broker.actors.get(message.actor_name)
        _actor_service.set(actor.options.get(SERVICE_OPTION) if actor is not None else None)

    def after_process_message(self, broker: Broker, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        self.after_skip_message(broker, message)

    def after_skip_message(self, broker: Broker, message: Any) -> None:
        _request_id.set(None)
        _actor_service.set(None)


# --- output --------------------------------------------------------------------------------------------

class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, service, request_id (and exception)."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
            "service": _service() or _actor_service.get() or self.service,
            "request_id": current_request_id(),
        }
        if record.exc_info:
            entry["exception"] = mask_secrets(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask_secrets(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The human format (`ELO_LOG_FORMAT=text`), with the request id and the same masking."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = current_request_id()
        line = super().format(record)
        return mask_secrets(f"{line} [request {request_id}]" if request_id else line)


def _service() -> str | None:
    """The service whose app runs this code (a request, an actor or a job), if any."""
    if has_app_context() or has_request_context():
        service = current_app.config.get("SERVICE")
        return str(service) if service else None
    return None


def configure_logging(default_format: str = "json", *, service: str | None = None,
                      env: Mapping[str, str] | None = None, restyle: bool = False) -> None:
    """Log to stderr in the format `ELO_LOG_FORMAT` names (json or text; `default_format` when unset) at level
    `ELO_LOG_LEVEL` (INFO). Like `logging.basicConfig`, nothing changes when the root logger has handlers
    already (a test runner's), unless `restyle`: then those handlers keep their streams and get the format."""
    env = os.environ if env is None else env
    chosen = env.get("ELO_LOG_FORMAT") or default_format
    if chosen not in FORMATS:
        raise SettingsError("ELO_LOG_FORMAT", f"'{chosen}' is not one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    if root.handlers and not restyle:
        return
    formatter: logging.Formatter = JsonFormatter(service) if chosen == "json" else TextFormatter()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(formatter)
    root.setLevel(env.get("ELO_LOG_LEVEL") or "INFO")
    logging.getLogger("pika").setLevel(logging.WARNING)  # at INFO it tells every connection's every step
