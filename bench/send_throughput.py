"""Newsletter send rate through the whole mailer (actor → render → personalise → SMTP) against plain smtplib.

    python -m bench.send_throughput            # N=5000 recipients, C=4 connections
    ELO_BENCH_SEND_N=1000 ELO_BENCH_SEND_C=2 python -m bench.send_throughput

In one run, to the same aiosmtpd sink (its own process):
- baseline: N pre-built ~30 KB messages sent with plain smtplib over C persistent connections;
- pipeline: the same N recipients as `mailer.send_batch` messages (batches of 100) on a dramatiq
  worker with C threads: delivery rows claimed and marked in the mailer's database (PostgreSQL when
  it answers, else SQLite), the newsletter-issue template rendered once, each recipient personalised
  by substitution, sent over the mailer's pooled SMTP connections;
- build cost: median time to build one personalised message from the compiled template, against a
  naive `email.message.EmailMessage` built per recipient.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bench.common import ROOT, Figure, free_port, main, postgres_databases, rate, service_env, sqlite_databases

N = int(os.environ.get("ELO_BENCH_SEND_N", "5000"))
C = int(os.environ.get("ELO_BENCH_SEND_C", "4"))
BATCH = 100
ROUNDS = int(os.environ.get("ELO_BENCH_SEND_ROUNDS", "3"))
TEMPLATE = "newsletter-issue"
PARAGRAPH = (
    "Elinikäisen ohjauksen yhteistyöryhmä kokoontui syyskuussa Oulussa. Ryhmä kävi läpi alueen "
    "ohjauspalvelujen tilannetta ja sopi, että oppilaitokset, työllisyyspalvelut ja kunnat kokoavat "
    "yhteisen katsauksen nuorten ja aikuisten ohjauksen saatavuudesta. Katsaus valmistuu keväällä. "
)


# --- the sink: aiosmtpd in its own process, so it never competes with the sender for the GIL -----------

class _CountingSink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        return "250 OK"


def serve_sink(port: int) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_CountingSink(), hostname="127.0.0.1", port=port)
    controller.start()
    print("sink ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


@contextlib.contextmanager
def sink_process() -> Iterator[str]:
    port = free_port()
    code = f"from bench.send_throughput import serve_sink; serve_sink({port})"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        if b"sink ready" not in process.stdout.readline():
            raise RuntimeError("the SMTP sink did not start")
        yield f"smtp://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- content ----------------------------------------------------------------------------------------

def newsletter_context() -> dict[str, Any]:
    articles = [{
        "id": number,
        "title": f"Ohjauksen ajankohtaiset asiat, osa {number}",
        "summary": "Lyhyesti: mitä alueella tapahtuu ohjauksessa tänä syksynä.",
        "body_html": "".join(f"<p>{PARAGRAPH * 2}</p>" for _ in range(2)),
        "author_name": "Anna Korhonen",
        "organisation": "Oulun seudun ammattiopisto OSAO",
        "themes": ["Digitaalisesti"],
        "image_url": "https://example.fi/kuva.jpg",
        "image_alt": "Opiskelija ja ohjaaja videopuhelussa",
        "language": "fi",
    } for number in range(1, 4)]
    return {
        "issue_id": 7, "title": "ELO-uutiskirje 3/2026", "introduction": "Hyvä lukija,\n\n" + PARAGRAPH,
        "archive_url": "https://elo.example/newsletter/archive/7?lang=fi", "articles": articles,
        "events_included": True, "events_available": True,
        "events": [{"title": "Elinikäisen ohjauksen vuosiseminaari", "starts_at": "2026-11-26T07:00:00+00:00",
                    "location": "Oulu", "url": "https://elo.example/events/vuosiseminaari-2026"}],
    }


def recipient(index: int, run: int = 0) -> dict[str, Any]:
    return {
        "idempotency_key": f"bench-issue-7:{run}:{index:06d}",
        "email": f"lukija{index}@example.fi",
        "name": f"Lukija {index}",
        "substitutions": {"preferences_url": f"https://elo.example/newsletter/preferences/p{index:06d}"},
        "list_headers": {"list_id": "uutiskirje.elo.example",
                         "unsubscribe_url": f"https://elo.example/newsletter/unsubscribe/u{index:06d}",
                         "unsubscribe_mailto": "unsubscribe@elo.example"},
    }


# --- build cost ---------------------------------------------------------------------------------------

def build_costs(samples: int = 2000) -> tuple[float, float, int]:
    """Median µs per recipient: compiled template vs naive EmailMessage; and the message size."""
    from services.mailer.composing import CompiledEmail, ListHeaders, Recipient
    from services.mailer.rendering import Site, render

    site = Site("Pohjois-Pohjanmaan ELO-verkosto", "https://elo.example", "Elinvoimakeskus, PL 86, 90101 Oulu")
    rendered = render(TEMPLATE, "fi", newsletter_context(), site, list_mail=True)
    compiled = CompiledEmail(rendered, mail_from="ELO-verkosto <noreply@elo.example>", list_mail=True)
    fast: list[float] = []
    size = 0
    for index in range(samples):
        item = recipient(index)
        started = time.perf_counter()
        person = Recipient(email=item["email"], name=item["name"], idempotency_key=item["idempotency_key"],
                           personal=item["substitutions"], list_headers=ListHeaders(**item["list_headers"]))
        data = compiled.build(person)
        fast.append(time.perf_counter() - started)
        size = len(data)
    naive: list[float] = []
    for index in range(min(samples, 300)):
        item = recipient(index)
        values = {"name": item["name"], "email": item["email"], **item["substitutions"],
                  "unsubscribe_url": item["list_headers"]["unsubscribe_url"]}
        started = time.perf_counter()
        message = EmailMessage()
        message["From"] = "ELO-verkosto <noreply@elo.example>"
        message["To"] = f"{item['name']} <{item['email']}>"
        message["Subject"] = rendered.subject.fill(values)
        message["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
        message.set_content(rendered.text.fill(values))
        message.add_alternative(rendered.html.fill(values, escape=True), subtype="html")
        message.as_bytes()
        naive.append(time.perf_counter() - started)
    return statistics.median(fast) * 1e6, statistics.median(naive) * 1e6, size


# --- the two senders ----------------------------------------------------------------------------------

def plain_smtplib(url: str, messages: list[bytes]) -> float:
    """Seconds to send pre-built messages over C persistent smtplib connections."""
    port = int(url.rsplit(":", 1)[1])
    shares = [messages[offset::C] for offset in range(C)]

    def send(share: list[bytes], offset: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
            for number, data in enumerate(share):
                connection.sendmail("noreply@elo.example", [f"lukija{offset + number * C}@example.fi"], data)

    threads = [threading.Thread(target=send, args=(share, offset)) for offset, share in enumerate(shares)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def start_mailer(database_urls: dict[str, str], data_dir: Path, smtp_url: str) -> Any:
    os.environ.update(service_env(database_urls, data_dir, ELO_SMTP_URL=smtp_url,
                                  ELO_MAIL_FROM="ELO-verkosto <noreply@elo.example>"))
    from shared.broker import build_broker, use_broker

    broker = use_broker(build_broker(None))
    import services.mailer.actors  # noqa: F401 - declares the mailer's actors on the broker
    from services.mailer import create_app

    create_app()
    return broker


def pipeline(broker: Any, run: int) -> tuple[float, dict[str, int]]:
    """Seconds from the first batch message to the last recipient recorded sent."""
    from dramatiq import Worker
    from sqlalchemy import func, select

    from services.mailer.models import Delivery, db
    from shared.broker import send
    from shared.contract import SEND_BATCH

    context = newsletter_context()
    campaign = f"bench-issue-7-{run}"
    batches = [{"campaign": campaign, "template": TEMPLATE, "language": "fi", "context": context,
                "recipients": [recipient(index, run) for index in range(start, min(N, start + BATCH))],
                "origin": "bench"} for start in range(0, N, BATCH)]
    worker = Worker(broker, worker_threads=C, worker_timeout=50)
    worker.start()
    try:
        started = time.perf_counter()
        for payload in batches:
            send(broker, actor_name=SEND_BATCH.actor, queue_name=SEND_BATCH.queue, args=(payload,))
        broker.join(SEND_BATCH.queue, timeout=600_000)
        worker.join()
        seconds = time.perf_counter() - started
    finally:
        worker.stop(timeout=10_000)
    with db.transaction() as session:
        counts = {status.value: count for status, count in session.execute(
            select(Delivery.status, func.count()).where(Delivery.campaign == campaign).group_by(Delivery.status))}
    return seconds, counts


def prebuilt_messages() -> list[bytes]:
    from services.mailer.composing import CompiledEmail, ListHeaders, Recipient
    from services.mailer.rendering import Site, render

    site = Site("Pohjois-Pohjanmaan ELO-verkosto", "https://elo.example", "Elinvoimakeskus, PL 86, 90101 Oulu")
    compiled = CompiledEmail(render(TEMPLATE, "fi", newsletter_context(), site, list_mail=True),
                             mail_from="ELO-verkosto <noreply@elo.example>", list_mail=True)
    messages = []
    for index in range(N):
        item = recipient(index)
        messages.append(compiled.build(Recipient(
            email=item["email"], name=item["name"], idempotency_key=item["idempotency_key"],
            personal=item["substitutions"], list_headers=ListHeaders(**item["list_headers"]))))
    return messages


def postgres_answers() -> bool:
    import sqlalchemy as sa

    from bench.common import POSTGRES_URL

    engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()
    return True


@contextlib.contextmanager
def databases(data_dir: Path) -> Iterator[tuple[dict[str, str], str]]:
    """PostgreSQL when it answers (production), else SQLite (the embedded run)."""
    if postgres_answers():
        with postgres_databases("send") as urls:
            yield urls, "PostgreSQL"
    else:
        with sqlite_databases(data_dir) as urls:
            yield urls, "SQLite"


def run() -> list[Figure]:
    """Newsletter send rate through the mailer pipeline vs plain smtplib; per-recipient build cost."""
    fast_us, naive_us, size = build_costs()
    baseline_times: list[float] = []
    pipeline_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-send-") as directory, sink_process() as smtp_url:
        messages = prebuilt_messages()
        with databases(Path(directory)) as (urls, database_name):
            broker = start_mailer(urls, Path(directory), smtp_url)
            # Interleaved, best of each: the machine may be shared, and a busy moment should not
            # decide the ratio.
            for attempt in range(ROUNDS):
                baseline_times.append(plain_smtplib(smtp_url, messages))
                seconds, counts = pipeline(broker, attempt)
                if counts.get("sent") != N:
                    raise RuntimeError(f"not every message was sent: {counts}")
                pipeline_times.append(seconds)
    pipeline_rate, baseline_rate = rate(N, min(pipeline_times)), rate(N, min(baseline_times))
    note = (f"N={N}, C={C}, ~{size // 1024} KB each, batches of {BATCH}, delivery log on {database_name}, "
            f"best of {ROUNDS} interleaved rounds")
    print(f"pipeline {pipeline_rate:.0f} msg/s, plain smtplib {baseline_rate:.0f} msg/s, "
          f"ratio {pipeline_rate / baseline_rate:.2f}; build {fast_us:.1f} µs per recipient "
          f"(naive EmailMessage {naive_us:.0f} µs); message {size} bytes; rounds: pipeline "
          f"{[round(t, 1) for t in pipeline_times]} s, smtplib {[round(t, 1) for t in baseline_times]} s")
    return [
        Figure("newsletter send rate (actor → render → SMTP)", pipeline_rate, "msg/s",
               baseline_name="plain smtplib, pre-built messages", baseline_value=baseline_rate,
               note=note).target_ratio(0.9),
        Figure("per-recipient message build (median)", fast_us, "µs",
               baseline_name="naive EmailMessage per recipient", baseline_value=naive_us, higher_is_better=False,
               note=f"~{size // 1024} KB multipart/alternative").target_value(50),
    ]


if __name__ == "__main__":
    main(run)
