"""`bluelamp demo` from nothing: it migrates, loads London, prints sign-ins and serves the
platform over ASGI (uvicorn) — the pages a newcomer opens first all answer."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import HANG_SECONDS, ROOT, RunBluelamp


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_until_serving(server: subprocess.Popen[str], url: str, seconds: float = HANG_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.25)


def test_demo_serves_the_platform_and_prints_the_sign_ins(tmp_path: Path) -> None:
    (tmp_path / "build").symlink_to(ROOT / "build")
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BLUELAMP_ENV"}}
    environment.update({"BLUELAMP_HOME": str(tmp_path), "COLUMNS": "200"})
    server = subprocess.Popen(
        [sys.executable, "-m", "bluelamp", "demo", "--simulate", "--units", "40", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(server, base + "/healthz")
        status, body = _get(base + "/healthz")
        health = json.loads(body)
        assert (status, health["status"], health["database"]) == (200, "ok", "ok")
        assert {"control.live", "pole.feed"} <= set(health["consumers"])  # the outbox's readers, running
        status, home = _get(base + "/")
        assert status == 200
        assert "Command and Control" in home
        assert _get(base + "/sign-in/")[0] == 200
        assert _get(base + "/admin/login/")[0] == 200
        assert _get(base + "/api/v1/docs")[0] == 200
        assert '"openapi"' in _get(base + "/api/v1/openapi.json")[1]
        assert _get(base + "/static/css/staff.css")[0] == 200
        assert _get(base + "/sites/met/report/crime/")[0] == 200  # the Met takes reports online
        assert _units_reporting(tmp_path / "var" / "bluelamp.sqlite3") == 40  # the simulation's AVL feed
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=HANG_SECONDS)
    assert "Demo sign-ins" in output
    assert "admin" in output
    assert f"{base}/sign-in/" in output
    assert "Simulation running" in output


def _units_reporting(database: Path, seconds: float = HANG_SECONDS) -> int:
    """How many units have sent a position, once every unit has or ``seconds`` have passed."""
    deadline, found = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as connection:
            found = connection.execute("SELECT count(*) FROM dispatch_unitposition").fetchone()[0]
        if found >= 40:
            break
        time.sleep(0.5)
    return int(found)


def test_demo_refuses_production(run_bluelamp: RunBluelamp) -> None:
    strong = "x" * 10 + "Qw8#zP2!vB7@nM4$wL9%tR6^yU3&a1b2c3d4e5f6g7"
    result = run_bluelamp(
        "demo", "--no-serve", env={"BLUELAMP_ENV": "production", "SECRET_KEY": strong, "ALLOWED_HOSTS": "x.example"}
    )
    assert result.returncode == 1
    assert "never runs with BLUELAMP_ENV=production" in result.stderr
