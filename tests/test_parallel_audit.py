"""The audit parses entries on every core (registry/core/entry_stream.py) and must report exactly
what the serial walk reports: the same verdict, the same kind, the same first bad index.

A synthetic log built with the signing core (entries, Merkle root, signed checkpoint): batches of
3 lines make a log of 40 entries cross many batch boundaries, so a fault lands at the start, the
middle and the end of a batch, and after the checkpoint's size (which no auditor may report).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.core import entry_stream, merkle
from registry.core.audit import AuditFailure, AuditState, audit
from registry.core.chain import GENESIS_PREV, make_entry
from registry.core.note import NoteSigner
from registry.core.tlog import Checkpoint, sign_checkpoint
from tests.conftest import ROOT

ORIGIN = "ikrar.test/parallel"
START = datetime(2024, 9, 12, 3, 0, tzinfo=UTC)


def build(size: int) -> list[bytes]:
    lines, prev = [], GENESIS_PREV
    for index in range(size):
        payload = {"record_id": f"r{index:04d}", "record_sha256": hashlib.sha256(b"%d" % index).hexdigest()}
        entry = make_entry(index, START + timedelta(seconds=index), "test:append", payload, prev)
        lines.append(entry.canonical)
        prev = entry.hash
    return lines


def note_for(lines: list[bytes], signer: NoteSigner) -> str:
    fold = merkle.Fold()
    for line in lines:
        fold.append(merkle.leaf_hash(line))
    return sign_checkpoint(Checkpoint(ORIGIN, len(lines), fold.root()), signer)


def outcome(
    note: str, lines: list[bytes], signer: NoteSigner, workers: int, state: Path | None = None
) -> tuple[str, int | None, str] | int:
    """The audit's verdict: the number of entries, or (kind, index, reason) of its failure."""
    try:
        report = audit(
            note,
            (line + b"\n" for line in lines),
            signer.verifier(),
            ORIGIN,
            workers=workers,
            state=AuditState(state) if state else None,
        )
    except AuditFailure as failure:
        return failure.kind, failure.index, failure.reason
    return report.entries


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_stream, "BATCH", 3)


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def corrupt_json(lines: list[bytes], at: int) -> None:
    lines[at] = lines[at][:-1]


def non_canonical(lines: list[bytes], at: int) -> None:
    lines[at] = lines[at].replace(b'{"index"', b'{ "index"', 1)


def reordered(lines: list[bytes], at: int) -> None:
    lines[at], lines[at + 1] = lines[at + 1], lines[at]


def altered_payload(lines: list[bytes], at: int) -> None:
    lines[at] = lines[at].replace(b'"r', b'"x', 1)


def dropped(lines: list[bytes], at: int) -> None:
    del lines[at]


FAULTS = [corrupt_json, non_canonical, reordered, altered_payload, dropped]


@pytest.mark.slow  # starts another process (tests/process_guard.py)
@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.__name__)
@pytest.mark.parametrize("at", [0, 2, 3, 20, 37])
def test_every_fault_is_reported_at_the_same_index_by_both_paths(
    signer: NoteSigner, fault: object, at: int
) -> None:
    lines = build(40)
    note = note_for(lines, signer)
    fault(lines, at)  # type: ignore[operator]
    serial = outcome(note, lines, signer, workers=1)
    parallel = outcome(note, lines, signer, workers=2)
    assert isinstance(serial, tuple), serial  # the fault is found
    assert parallel == serial


@pytest.mark.slow  # starts another process (tests/process_guard.py)
@pytest.mark.usefixtures("small_batches")
def test_a_clean_log_passes_both_paths_and_lines_after_the_checkpoint_are_not_read(
    signer: NoteSigner,
) -> None:
    lines = build(40)
    note = note_for(lines[:31], signer)
    tail = [*lines, b"not an entry at all"]  # served beyond the checkpoint: the next audit's business
    assert outcome(note, tail, signer, workers=1) == 31
    assert outcome(note, tail, signer, workers=2) == 31


@pytest.mark.slow  # starts another process (tests/process_guard.py)
@pytest.mark.usefixtures("small_batches")
def test_the_state_of_a_parallel_audit_catches_a_rewrite_as_the_serial_one_does(
    signer: NoteSigner, tmp_path: Path
) -> None:
    lines = build(40)
    first, second = tmp_path / "serial", tmp_path / "parallel"
    for folder, workers in ((first, 1), (second, 2)):
        assert outcome(note_for(lines[:25], signer), lines[:25], signer, workers, folder) == 25
    assert (first / "hashes").read_bytes() == (second / "hashes").read_bytes()
    rewritten = list(lines)
    corrupt_json(rewritten, 10)  # an entry the state has seen: a fork, not merely a bad line
    verdicts = {
        workers: outcome(note_for(lines, signer), rewritten, signer, workers, folder)
        for folder, workers in ((first, 1), (second, 2))
    }
    assert verdicts[1] == verdicts[2]
    assert verdicts[1][:2] == ("fork", 10)  # type: ignore[index]


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_the_stream_hands_back_every_line_in_order_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_stream, "BATCH", 4)
    lines = build(23)
    items = list(entry_stream.parsed_entries((line + b"\n" for line in lines), workers=2))
    assert [line for line, _ in items] == lines
    for line, item in items:
        assert isinstance(item, entry_stream.Parsed)
        assert item.digest == hashlib.sha256(line).digest()
        assert item.leaf == merkle.leaf_hash(line)


# --- tools/verify_log.py, the auditors' own verifier, parses on every core the same way --------


def _tool_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The tool as a module of this process (its workers, forked, find it by name)."""
    spec = importlib.util.spec_from_file_location("verify_log_tool", ROOT / "tools" / "verify_log.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "verify_log_tool", module)
    spec.loader.exec_module(module)
    return module


def tool_outcome(
    tool: Any, lines: list[bytes], note: str, signer: NoteSigner, workers: int, folder: Path
) -> tuple[int, str]:
    (folder / "log.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    (folder / "checkpoint").write_text(note)
    arguments = ["--entries", str(folder / "log.jsonl"), "--checkpoint", str(folder / "checkpoint")]
    arguments += ["--key", signer.verifier_key(), "--workers", str(workers)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = tool.main(arguments)
    return status, (out.getvalue() + err.getvalue()).strip()


@pytest.mark.slow  # starts another process (tests/process_guard.py)
@pytest.mark.parametrize("fault", [*FAULTS, None], ids=lambda fault: getattr(fault, "__name__", "clean"))
@pytest.mark.parametrize("at", [0, 4, 17, 38])
def test_the_tool_reports_the_same_first_bad_entry_with_one_worker_or_two(
    signer: NoteSigner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Any, at: int
) -> None:
    tool = _tool_module(monkeypatch)
    monkeypatch.setattr(tool, "PARSE_BATCH", 3)
    lines = build(40)
    note = note_for(lines, signer)
    if fault is not None:
        fault(lines, at)
    if fault is dropped or fault is None:
        lines = lines[:-3] if at == 38 and fault is None else lines  # a short export: truncation
    verdicts = {}
    for workers in (1, 2):
        folder = tmp_path / str(workers)
        folder.mkdir()
        verdicts[workers] = tool_outcome(tool, lines, note, signer, workers, folder)
    assert verdicts[1] == verdicts[2]
    expect_ok = fault is None and at != 38
    assert (verdicts[1][0] == 0) == expect_ok, verdicts[1]
