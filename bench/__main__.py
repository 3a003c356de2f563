"""`python -m bench [module …]`: run every benchmark module, each in its own process, and write RESULTS.md.

A module is any `bench/<name>.py` that defines `def run(` (see bench/common.py for the interface).
A module that fails or runs over its budget gets a line saying so; the others still run.
At the end one line per figure: `<module>: <figure>: <value> (target <…>) MET|NOT MET`, and one for the
whole run's time (target TOTAL_MINUTES). Naming modules runs only those and prints their figures, leaving
RESULTS.md as it is (its figures all come from one full run).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BENCH_DIR, BUDGET_SECONDS, RESULTS, ROOT, Figure, figures_table

SKIP = {"__init__", "__main__", "common"}
TOTAL_MINUTES = 12.0  # the whole `make bench` on 2 cores


def discover() -> list[str]:
    names = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem in SKIP or path.stem.startswith("_"):
            continue
        if "\ndef run(" in path.read_text():
            names.append(path.stem)
    return names


def run_module(name: str) -> tuple[list[Figure], float, str, str]:
    """Figures, seconds, the module's one-line description, and an error ('' when it worked)."""
    load_before = os.getloadavg()[0]
    figures, seconds, doc, error = _run_module(name)
    load_after = os.getloadavg()[0]
    # The machine may be shared: say how busy it was, so a slow figure can be read in context.
    return figures, seconds, f"{doc} (load average {load_before:.1f} before, {load_after:.1f} after)", error


def _run_module(name: str) -> tuple[list[Figure], float, str, str]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as directory:
        out = Path(directory) / "figures.json"
        started = time.monotonic()
        try:
            completed = subprocess.run([sys.executable, "-m", f"bench.{name}", "--json", str(out)], cwd=ROOT,
                                       timeout=BUDGET_SECONDS + 60, capture_output=True, text=True, check=False)
        except subprocess.TimeoutExpired:
            return [], time.monotonic() - started, "", f"over its budget ({BUDGET_SECONDS + 60} s), stopped"
        seconds = time.monotonic() - started
        sys.stdout.write(completed.stdout)
        if completed.returncode != 0 or not out.exists():
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["no output"]
            sys.stderr.write(completed.stderr[-4000:])
            return [], seconds, "", f"failed (exit {completed.returncode}): {tail[0][:300]}"
        data = json.loads(out.read_text())
        return [Figure.from_json(item) for item in data["figures"]], seconds, data.get("doc", ""), ""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPU ({cpu}), {memory_gib:.0f} GiB RAM, Python {platform.python_version()}"


def total_line(total: float) -> str:
    verdict = "MET" if total <= TOTAL_MINUTES * 60 else "NOT MET"
    return f"make bench: total time: {total / 60:.1f} min (target ≤ {TOTAL_MINUTES:g} min) {verdict}"


def summary(rows: list[tuple[str, list[Figure], float, str, str]], total: float | None) -> list[str]:
    """One line per figure (and per failed module), then the run's time when every module ran."""
    lines = []
    for name, figures, _seconds, _doc, error in rows:
        lines += [figure.summary_line() for figure in figures]
        if error:
            lines.append(f"{name}: {error} NOT MET")
    if total is not None:
        lines.append(total_line(total))
    return lines


def write_results(rows: list[tuple[str, list[Figure], float, str, str]], total: float) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures = [figure for _name, module_figures, _s, _doc, _error in rows for figure in module_figures]
    targets = [figure for figure in figures if figure.met is not None]
    met = sum(1 for figure in targets if figure.met)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` ({now}) on {machine()}; total {total / 60:.1f} min "
        f"(target ≤ {TOTAL_MINUTES:g} min: {'MET' if total <= TOTAL_MINUTES * 60 else 'NOT MET'}).",
        "Every baseline was measured in the same run on the same machine; ratio = value / baseline.",
        f"Targets met: {met} of {len(targets)}.",
        "",
        figures_table(figures),
        "",
        "## Modules",
        "",
        "| module | what it measures | time | status |",
        "|---|---|---:|---|",
    ]
    for name, _figures, seconds, doc, error in rows:
        said = " ".join(doc.split()) if doc else ""
        lines.append(f"| `bench.{name}` | {said} | {seconds:.0f} s | {error or 'ok'} |")
    lines += ["", "## Summary", "", "```", *summary(rows, total), "```", ""]
    RESULTS.write_text("\n".join(lines))


def main() -> int:
    named = sys.argv[1:]
    wanted = named or discover()
    rows = []
    started = time.monotonic()
    for name in wanted:
        print(f"== bench.{name}", flush=True)
        figures, seconds, doc, error = run_module(name)
        if error:
            print(f"   {error}", flush=True)
        rows.append((name, figures, seconds, doc, error))
    total = time.monotonic() - started
    print("\n".join(["", "== summary", *summary(rows, None if named else total)]))
    if named:
        print(f"ran {len(wanted)} of the modules in {total / 60:.1f} min; {RESULTS.relative_to(ROOT)} left as it is")
    else:
        write_results(rows, total)
        print(f"wrote {RESULTS.relative_to(ROOT)} ({total / 60:.1f} min)")
    return 1 if any(error for *_rest, error in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
