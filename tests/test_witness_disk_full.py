"""The witness file on a full disk (issue 13, Faults), through ``ikrar serve`` on a real full tmpfs.

A signing whose commit is durable is answered 201 even when the witness cannot be updated after
it (logged as critical); the next signing is refused with 503 and nothing is committed until the
witness is writable again, and then the witness catches up with the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from registry.app import create_app
from tests.conftest import Env, LiveServer
from tests.test_disk_full import fill, log_size, sign, small_disk
from tests.test_signing_api import device_token

__all__ = ["small_disk"]  # the fixture, used below


@dataclass
class WitnessElsewhere(Env):
    witness: Path = Path("checkpoint.witness")

    @property
    def variables(self) -> dict[str, str]:
        return super().variables | {"IKRAR_WITNESS_FILE": str(self.witness)}

    def config(self) -> dict[str, Any]:
        return super().config() | {"IKRAR_WITNESS_FILE": self.witness}


@pytest.fixture
def env(env: Env, small_disk: Path) -> Env:  # type: ignore[override]
    return WitnessElsewhere(env.database_url, env.keys_dir, env.instance, small_disk / "checkpoint.witness")


def _witnessed_size(env: WitnessElsewhere) -> int:
    text = env.witness.read_text()
    # (A bare note is how releases before per-log entries wrote it: read both, so that this
    # test fails on the old code for what it tests, not for the file format.)
    (note,) = json.loads(text)["logs"].values() if text.startswith("{") else (text,)
    return int(note.split("\n")[1])


def test_a_witness_on_a_full_disk_never_fails_a_committed_signing(
    app: Flask, env: WitnessElsewhere, small_disk: Path, live_server: LiveServer
) -> None:
    token = device_token(app)
    status, first, _ = sign(live_server.url, token, "Ayu Lestari")
    assert status == 201, first
    assert _witnessed_size(env) == log_size(app)
    filler = fill(small_disk)
    try:
        status, committed, _ = sign(live_server.url, token, "Budi Santoso")
        assert status == 201, committed  # durable in the database: answered as such
        size = log_size(app)
        assert committed["log_index"] == size - 1
        assert _witnessed_size(env) < size  # the witness could not follow
        status, problem, headers = sign(live_server.url, token, "Citra Dewi", key := "citra-dewi-0001")
        assert status == 503, problem
        assert problem["type"] == "urn:ikrar:problem:witness-unwritable"
        assert int(headers["Retry-After"]) > 0
        assert log_size(app) == size  # refused before anything was committed
    finally:
        filler.unlink()
    status, document, _ = sign(live_server.url, token, "Citra Dewi", key)
    assert status == 201, document
    assert _witnessed_size(env) == log_size(app)  # caught up, then recorded the new checkpoint
    server_log = next(env.instance.glob("server-*.log")).read_text()
    assert "could not record it in the witness file" in server_log
    create_app(env.config())  # and the start-up checks agree with the database
