"""Property-based fuzzing of every documented operation against the real server: never a 5xx.

Schemathesis reads /openapi.json, generates valid and invalid requests (including the signing
body, with a real device token so the validation paths are reached) and fails on any server error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from registry.services import credentials
from tests.conftest import LiveServer
from tests.factories import DEMO

pytestmark = pytest.mark.slow


def test_no_operation_answers_with_a_server_error(
    app: Flask, live_server: LiveServer, tmp_path: Path
) -> None:
    with app.app_context():
        token = credentials.issue("device", "fuzzer", commitment=DEMO).token
    # Path parameters pinned to the demo commitment, so generated bodies reach the validation code.
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.slug" = "{DEMO}"\n', encoding="utf-8")
    command = Path(sys.executable).with_name("schemathesis")
    done = subprocess.run(
        [
            str(command),
            "run",
            f"{live_server.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "20240912",
            "--header",
            f"Authorization: Bearer {token}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    report = done.stdout[-4000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert " passed" in done.stdout and "failed" not in done.stdout.split("Test cases:")[-1], report
