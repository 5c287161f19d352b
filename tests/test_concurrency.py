"""Concurrent appends across processes and threads: gapless, unforked, nothing lost."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from flask import Flask
from sqlalchemy import select

from registry.extensions import db
from registry.models import LogEntry, SignatureRecord
from registry.services import integrity, signing
from tests.conftest import ROOT, Env
from tests.factories import walk_in

PROCESSES, PER_PROCESS = 4, 50


def _assert_log_is_whole(expected_records: int) -> None:
    report = integrity.verify_database()  # recomputes every hash, link and seal
    assert report.records == expected_records
    indices = db.session.execute(select(LogEntry.index).order_by(LogEntry.index)).scalars().all()
    assert indices == list(range(len(indices)))
    prevs = db.session.execute(select(LogEntry.prev)).scalars().all()
    assert len(set(prevs)) == len(prevs), "two entries share a predecessor: the chain forked"
    names = set(db.session.execute(select(SignatureRecord.name)).scalars())
    assert len(names) == expected_records


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_four_processes_sign_fifty_each(app: Flask, env: Env) -> None:
    start_at = time.time() + 3
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.workers", f"p{n}", str(PER_PROCESS), str(start_at)],
            cwd=ROOT,
            env=env.variables,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-3000:]
    with app.app_context():
        _assert_log_is_whole(PROCESSES * PER_PROCESS)


def test_eight_threads_sign_concurrently(app: Flask) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def run(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for i in range(10):
                    signing.sign(walk_in(f"Utas {n}-{i}"), app.extensions["ikrar.signers"])
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with app.app_context():
        _assert_log_is_whole(80)


def test_concurrent_repeats_of_one_idempotency_key_make_one_record(app: Flask) -> None:
    results: list[str] = []
    barrier = threading.Barrier(5)

    def run() -> None:
        with app.app_context():
            barrier.wait()
            row = signing.sign(
                walk_in("Sekali Saja", client_id="tablet", idempotency_key="same"),
                app.extensions["ikrar.signers"],
            ).record
            results.append(bytes(row.body).decode())

    threads = [threading.Thread(target=run) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 5 and len(set(results)) == 1
    with app.app_context():
        _assert_log_is_whole(1)
