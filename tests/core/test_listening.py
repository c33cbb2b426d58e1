"""Several workers each listen on a socket of their own on the same port, so the kernel spreads
connections across them (bluelamp.core.listening), and a second bluelamp on a port in use is
refused rather than quietly sharing it."""

from __future__ import annotations

import pickle
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bluelamp.core import listening
from tests.conftest import HANG_SECONDS, RunBluelamp, command_environment

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:``port`` (Linux's /proc/net/tcp; state 0A is LISTEN)."""
    wanted = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == wanted and row.split()[3] == "0A")


def test_each_worker_gets_a_listening_socket_of_its_own_on_the_same_port() -> None:
    port = _free_port()
    listening.check_free("127.0.0.1", port)
    handed = listening.SocketPerWorker("127.0.0.1", port, backlog=16)
    first = pickle.loads(pickle.dumps(handed))  # noqa: S301 - our own bytes: what a worker makes of it
    second = pickle.loads(pickle.dumps(handed))  # noqa: S301
    try:
        assert isinstance(first, socket.socket)
        assert first.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
        assert _listening_sockets(port) == 2
        with pytest.raises(OSError, match="in use"):
            listening.check_free("127.0.0.1", port)
    finally:
        first.close()
        second.close()


def test_serve_with_two_workers_listens_twice_and_a_second_server_is_refused(
    run_bluelamp: RunBluelamp, migrate_home: Callable[[], None], tmp_path: Path
) -> None:
    (tmp_path / "build").symlink_to(ROOT / "build")  # the front-end assets `make setup` built
    migrate_home()  # serve refuses an unmigrated database
    port = _free_port()
    environment = command_environment(tmp_path)
    command = [sys.executable, "-m", "bluelamp", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + HANG_SECONDS
        while _listening_sockets(port) < 2 and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.2)
        assert _listening_sockets(port) == 2, "each of the two workers listens on a socket of its own"
        second = run_bluelamp("serve", "--port", str(port), "--workers", "2")
        assert second.returncode != 0
        assert f"Cannot listen on 127.0.0.1:{port}" in second.stderr
        assert "is bluelamp running already?" in second.stderr
    finally:
        server.terminate()
        server.wait(timeout=HANG_SECONDS)
