"""The embedded run (`make run` → `elo up`) as a user meets it: it starts, answers, and stops on
Ctrl-C with exit 0 and no traceback; a port already in use gives one clear line, not a traceback;
links follow the address it serves; every `elo` command finds the same data from any directory."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
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


def checkout_elsewhere(tmp_path: Path) -> Path:
    """The project as a checkout in another place (its packages linked), so its var/ is this test's own."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("shared", "services", "pyproject.toml"):
        (root / name).symlink_to(REPO / name)
    return root


def elo(root: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`elo <args>` of the checkout at `root`, run in `cwd`, with no ELO_* variable set."""
    env = {**embedded_env(Path()), "PYTHONPATH": str(root)}
    del env["ELO_DATA_DIR"]
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180, check=False)


@contextlib.contextmanager
def running_up(root: Path, cwd: Path, log: Path) -> Iterator[str]:
    """`elo up --port 0` of the checkout at `root` started in `cwd`; yields the address it prints."""
    env = {**embedded_env(Path()), "PYTHONPATH": str(root)}
    del env["ELO_DATA_DIR"]
    with log.open("wb") as output:
        up = subprocess.Popen([sys.executable, "-m", "services.cli", "up", "--port", "0"], cwd=cwd, env=env,
                              stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "running at " not in log.read_text():
            assert up.poll() is None, f"elo up stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"elo up did not start:\n{log.read_text()}"
            time.sleep(0.2)
        yield log.read_text().split("running at ", 1)[1].split()[0].rstrip("/")
    finally:
        os.killpg(up.pid, signal.SIGINT)
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)


def captured_mail_to(front: str, address: str, timeout: float = 60.0) -> EmailMessage:
    """The first message to `address` in the test mailbox, read as a browser on this machine reads it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(front + "/mailer/outbox/?lang=en", timeout=10) as response:  # noqa: S310
            listing = response.read().decode()
        for mail_id in sorted(set(re.findall(r'href="/mailer/outbox/(\d+)/"', listing))):
            with urllib.request.urlopen(f"{front}/mailer/outbox/{mail_id}/raw", timeout=10) as response:  # noqa: S310
                message = message_from_bytes(response.read(), policy=policy.default)
            if isinstance(message, EmailMessage) and address in str(message["To"]):
                return message
        time.sleep(0.3)
    raise AssertionError(f"no mail to {address} within {timeout:.0f} s")


def test_links_and_data_follow_the_run_whatever_the_working_directory(tmp_path: Path) -> None:
    root = checkout_elsewhere(tmp_path)
    data = root / "var"
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    with running_up(root, here, tmp_path / "up.log") as front:
        port = int(front.rsplit(":", 1)[1])
        assert front == f"http://127.0.0.1:{port}"

        # Another directory, the same databases: the token works on the running server.
        made = elo(root, there, "create-token", "--role", "coordinator")
        assert made.returncode == 0, made.stderr
        assert made.stderr.splitlines() == [f"elo: data in {data}"]  # and no migration chatter
        token = made.stdout.strip()
        status, body = request_json("GET", front + "/newsletter/api/v1/subscribers",
                                    headers={"Authorization": f"Bearer {token}"})
        assert status == 200, body

        # Mail links use the port served (no ELO_BASE_URL).
        address = f"port-{port}@example.org"
        status, body = request_json("POST", front + "/newsletter/api/v1/subscriptions",
                                    {"email": address, "language": "en", "topics": ["newsletter"]})
        assert status == 202, body
        text = captured_mail_to(front, address).get_body(("plain",))
        assert isinstance(text, EmailMessage)
        assert f"http://127.0.0.1:{port}/newsletter/confirm/" in text.get_content()
    assert not (here / "var").exists()
    assert not (there / "var").exists()
    assert (data / "mailer.db").exists()


def test_migrate_says_where_and_nothing_else(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "services.cli", "migrate"], cwd=tmp_path,
                          env=embedded_env(tmp_path / "var"), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Databases are up to date.\n"
    assert done.stderr.splitlines() == [f"elo: data in {tmp_path / 'var'}"]
