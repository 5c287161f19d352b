"""The benchmark still runs: `python -m bench --smoke` on this suite's database backend.

It checks that every row of the table is filled and the load scenarios' own checks pass; it
never checks a speed (timings belong to `python -m bench`, reported in docs/PERFORMANCE.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IS_CI

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmark_smoke_run_fills_every_row(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        message = "wrk (Debian package wrk) is needed for the benchmark's HTTP load"
        if IS_CI:
            pytest.fail(message)
        pytest.skip(message)
    backend = "postgresql" if os.environ.get("IKRAR_TEST_DATABASE_URL") else "sqlite"
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--backends", backend, "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    saved = json.loads(results.read_text())
    rows = saved["rows"]
    operations = {row["operation"].split(",")[0] for row in rows}
    assert {
        "signing",
        "verify page",
        "verify JSON",
        "certificate PDF",
        "inclusion / consistency proof",
        "storage",
        "ikrar audit --file",
    } <= operations
    for row in rows:
        assert row["backend"] in (backend, "file")
        assert row["ikrar"] and row["limit"] and row["ratio"] and row["target"], row
    signing = next(row for row in rows if row["operation"].startswith("signing"))
    assert signing["detail"]["signing"]["errors"] == 0
    assert signing["detail"]["log_verifies"] is True
    for row in rows:
        if row["operation"].startswith("verify"):
            assert row["detail"]["saturated"]["errors"] == 0 and row["detail"]["paced"]["errors"] == 0
    if backend == "postgresql":
        day, spike = saved["scenarios"]["event_day"], saved["scenarios"]["news_spike"]
        assert day["ok"] and day["log_verifies"]
        assert day["distinct_record_ids"] == day["people"] == day["records_in_database"]
        assert spike["ok"] and spike["server_errors_5xx"] == 0 and spike["log_verifies"]
    # The table is printed too, one line per row.
    assert done.stdout.count("\n| ") >= len(rows)
