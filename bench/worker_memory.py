"""Peak memory of a real `elo worker` process (dramatiq on RabbitMQ, mailer on PostgreSQL, a real SMTP
sink) while it delivers a newsletter to 10,000 and to 100,000 recipients: it must stay flat.

The messages are generated `mailer.send_batch` batches (the contract's EmailBatch: 500 recipients
each, the real `newsletter-issue` template and context, per-recipient unsubscribe links), published
straight to RabbitMQ: this measures the worker's batch path, not the newsletter's expansion step.
A size that cannot finish within its time cap is measured over what it sent, and the row says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    Figure,
    SmtpSink,
    main,
    postgres_databases,
    rabbitmq_vhost,
    service_env,
    stop_process,
)

SIZES = [int(size) for size in os.environ.get("ELO_BENCH_MEMORY_SIZES", "10000,100000").split(",")]
# Per size. On this 2-core machine the worker delivers about 700 recipients/s, so 100,000 would take
# 2.5 minutes of the whole run's 12: the large run is measured over what it delivers within its cap, and its
# growth per 10,000 recipients after warm-up (extrapolated to 100,000) is what shows whether memory stays flat.
TIME_CAP = float(os.environ.get("ELO_BENCH_MEMORY_CAP_SECONDS", "60"))
# Flat: the large run's peak at most PEAK_RATIO times the small run's, and the growth after warm-up at most
# GROWTH_MIB per 10,000 recipients (so under 10 MiB extrapolated to 100,000).
PEAK_RATIO = 1.1
GROWTH_MIB = 1.0
BATCH = 500
EXAMPLE = ROOT / "services/mailer/templates/email/newsletter-issue/example.json"


def batches(run: str, size: int) -> list[dict[str, Any]]:
    context = json.loads(EXAMPLE.read_text())["context"]
    base = "http://127.0.0.1:8000/newsletter"
    made = []
    for start in range(0, size, BATCH):
        recipients = [{
            "idempotency_key": f"bench-{run}-{n}", "email": f"lukija{n}@example.fi", "name": f"Lukija {n}",
            "substitutions": {"unsubscribe_url": f"{base}/unsubscribe/bench{n}",
                              "preferences_url": f"{base}/preferences/bench{n}"},
            "list_headers": {"list_id": "<uutiskirje.elo.example.fi>",
                             "unsubscribe_url": f"{base}/unsubscribe/bench{n}"},
        } for n in range(start, min(size, start + BATCH))]
        made.append({"campaign": f"bench-{run}", "template": "newsletter-issue", "language": "fi",
                     "context": context, "recipients": recipients, "origin": "bench"})
    return made


def publish(broker_url: str, payloads: list[dict[str, Any]]) -> None:
    from shared.broker import build_broker, send
    from shared.contract import SEND_BATCH

    broker = build_broker(broker_url)
    broker.declare_queue(SEND_BATCH.queue)
    for payload in payloads:
        send(broker, actor_name=SEND_BATCH.actor, queue_name=SEND_BATCH.queue, args=(payload,))
    broker.close()


def descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


WARM = 1000  # recipients delivered before the growth rate is measured (imports, template caches, pools)


def measure(size: int, urls: dict[str, str], broker_url: str, data_dir: Path) -> tuple[int, int, float, float]:
    """(peak RSS KiB of the largest worker process, recipients delivered, seconds, KiB growth per 10,000
    recipients after the first WARM)."""
    with SmtpSink() as sink:
        publish(broker_url, batches(f"{size}-{int(time.time())}", size))
        env = {**os.environ, **service_env(urls, data_dir, broker_url=broker_url, ELO_SMTP_URL=sink.url)}
        log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
        worker = subprocess.Popen([sys.executable, "-m", "services.cli", "worker", "--processes", "1",
                                   "--threads", "4"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        started = time.monotonic()
        peak = 0
        warm: tuple[int, int] | None = None
        now = (0, 0)
        try:
            while sink.recipients < size and time.monotonic() - started < TIME_CAP:
                if worker.poll() is not None:
                    raise RuntimeError(f"worker exited: {Path(log.name).read_text()[-2000:]}")
                current = max(rss_kib(pid) for pid in descendants(worker.pid))
                peak = max(peak, current)
                now = (sink.recipients, current)
                if warm is None and sink.recipients >= WARM:
                    warm = now
                time.sleep(0.25)
        finally:
            seconds = time.monotonic() - started
            stop_process(worker, timeout=30)
        growth = 0.0
        if warm is not None and now[0] > warm[0]:
            growth = (now[1] - warm[1]) / (now[0] - warm[0]) * 10_000
        return peak, sink.recipients, seconds, growth


def run() -> list[Figure]:
    """Peak worker RSS delivering 10,000 vs 100,000 recipients through mailer.send_batch (must stay flat)."""
    results = {}
    with tempfile.TemporaryDirectory() as directory, postgres_databases("memory", fast_commits=True) as urls:
        for size in SIZES:
            with rabbitmq_vhost(f"memory{size}") as broker_url:
                results[size] = measure(size, urls, broker_url, Path(directory))
    small, large = SIZES[0], SIZES[-1]
    peak_small, sent_small, _seconds, _growth = results[small]
    peak_large, sent_large, seconds_large, growth = results[large]

    def label(sent: int, queued: int) -> str:
        return f"{sent:,} recipients".replace(",", " ") + ("" if sent >= queued else f" (of {queued:,} queued)")

    return [
        Figure(f"peak worker memory, {label(sent_large, large)}", peak_large / 1024, "MiB",
               f"peak with {label(sent_small, small)}", peak_small / 1024, higher_is_better=False,
               note=(f"{sent_large / seconds_large:.0f} recipients/s"
                     + ("" if sent_large >= large else f"; the large run stopped at its {TIME_CAP:.0f} s cap")
                     + "; generated mailer.send_batch batches (500 each), not the newsletter expansion"),
               extra={"sent": {str(k): v[1] for k, v in results.items()}}).target_ratio(PEAK_RATIO),
        Figure(f"worker memory growth per 10 000 recipients after the first {WARM}", growth / 1024, "MiB",
               "flat (0)", 0.0, higher_is_better=False,
               note=f"measured over the {label(sent_large, large)} run; "
                    f"{growth / 1024 * 10:+.1f} MiB extrapolated to 100 000").target_value(GROWTH_MIB),
    ]


if __name__ == "__main__":
    main(run)
