"""The delivery worker as an operator runs it, in its own process: killed mid-way and started
again, it delivers every report exactly once (one control-room contact per report)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import HANG_SECONDS, ROOT, RunBluelamp

REPORTS = 60


def count(database: Path, sql: str) -> int:
    with sqlite3.connect(database, timeout=20) as connection:
        return int(connection.execute(sql).fetchone()[0])


def test_killing_the_worker_mid_way_then_restarting_delivers_each_report_once(
    tmp_path: Path, run_bluelamp: RunBluelamp
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {"BLUELAMP_HOME": str(tmp_path), "BLUELAMP_ENV": "test", "PYTHONPATH": str(ROOT)}
    seeded = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "online" / "seed_reports.py"), str(REPORTS)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    database = tmp_path / "var" / "bluelamp.sqlite3"
    contacts = "SELECT COUNT(*) FROM control_contact"

    worker = subprocess.Popen(
        [sys.executable, "-m", "bluelamp", "deliver-reports", "--limit", "1", "--interval", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + HANG_SECONDS
        while count(database, contacts) < REPORTS // 4:
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:] if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker delivered nothing"
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    part_way = count(database, contacts)
    assert part_way < REPORTS, "the worker finished before it was killed: kill it sooner"

    again = run_bluelamp("deliver-reports", "--once", "--limit", "1000", env=env, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert count(database, contacts) == REPORTS
    assert count(database, "SELECT COUNT(DISTINCT source_reference) FROM control_contact") == REPORTS
    assert count(database, "SELECT COUNT(*) FROM online_delivery WHERE state = 'delivered'") == REPORTS
    assert count(database, "SELECT COUNT(*) FROM control_contact c JOIN core_force f ON f.id = c.force_id "
                           "WHERE f.code = 'city'") == REPORTS // 3  # fmt: skip
    assert count(database, "SELECT COUNT(*) FROM online_report WHERE contact_id IS NULL") == 0
