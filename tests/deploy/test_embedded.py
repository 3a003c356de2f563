"""The embedded run (`make run` → `elo up`) as a user meets it: it starts, answers, and stops on
Ctrl-C with exit 0 and no traceback; a port already in use gives one clear line, not a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.reliability.conftest import REPO, request_json


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ELO_")}
    return {**env, "ELO_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}


def listening_port(pid: int) -> int | None:
    """The TCP port process `pid` listens on (read from /proc), or None while it listens on none."""
    sockets = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # an fd closed meanwhile
            sockets.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and f"socket:[{fields[9]}]" in sockets:  # 0A: LISTEN
                return int(fields[1].rsplit(":", 1)[1], 16)
    return None


def test_ctrl_c_stops_the_embedded_run_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    with log.open("wb") as output:
        # Like a terminal: SIGINT goes to the whole process group, and is not ignored. Port 0: the
        # server binds a free port itself, and the test reads it back.
        up = subprocess.Popen([sys.executable, "-m", "services.cli", "up", "--port", "0"], cwd=REPO,
                              env=embedded_env(tmp_path / "var"), stdout=output, stderr=subprocess.STDOUT,
                              start_new_session=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    try:
        deadline = time.monotonic() + 90
        port = None
        while time.monotonic() < deadline and up.poll() is None:
            port = port or listening_port(up.pid)
            if port and all(request_json("GET", f"http://127.0.0.1:{port}/{prefix}/healthz", timeout=2)[0] == 200
                            for prefix in ("newsletter", "events", "mailer")):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"elo up did not become healthy:\n{log.read_text()}")
        assert request_json("GET", f"http://127.0.0.1:{port}/")[0] == 200

        os.killpg(up.pid, signal.SIGINT)
        assert up.wait(timeout=30) == 0, log.read_text()
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    output_text = log.read_text()
    assert "Traceback" not in output_text
    assert output_text.rstrip().endswith("Stopped.")


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "services.cli", "up", "--port", str(port)], cwd=REPO,
                              env=embedded_env(tmp_path / "var"), capture_output=True, text=True, timeout=120,
                              check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"elo: port {port} on 127.0.0.1 is in use" in done.stderr
