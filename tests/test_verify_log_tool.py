"""tools/verify_log.py, the outside verifier written from docs/FORMATS.md, against a live server.

One ``ikrar serve`` is started for the whole module (the project's fixtures are function-scoped,
so the module fixture below repeats their pattern). Setup signs a few records through the service
layer; everything the verifier reads is then downloaded over HTTP exactly as an auditor would, and
the tool is always run as a subprocess (``sys.executable tools/verify_log.py …``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from registry.app import create_app
from registry.services import signing
from tests.auditor_support import auditor_token
from tests.conftest import ROOT, Env, LiveServer, free_port, ikrar, initialise
from tests.factories import walk_in

TOOL = ROOT / "tools" / "verify_log.py"
FAILED = re.compile(r"^FAILED \((?P<kind>[a-z]+)\)(?: at index (?P<index>\d+))?: .+$")
NAMES = ["Siti Aminah", "Budi Santoso", "Dewi Lestari", "Agus Salim"]
LATER = ["Rina Wulandari", "Joko Prasetyo"]


# ───────────────────────────────────── running the tool ─────────────────────────────────────


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def failure(self) -> tuple[str, int | None]:
        """(kind, index) of a ``FAILED`` line; the output must be exactly that one line."""
        assert self.code == 1, self
        assert self.stdout == "", self
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self
        match = FAILED.match(lines[0])
        assert match, self
        index = match["index"]
        return match["kind"], int(index) if index is not None else None


def verify(*args: str | Path) -> Outcome:
    result = subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Outcome(result.returncode, result.stdout, result.stderr)


def verify_many(cases: Sequence[Sequence[str | Path]]) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) * 2))) as pool:
        return list(pool.map(lambda case: verify(*case), cases))


# ─────────────────────────────────── downloading the log ────────────────────────────────────


def get(url: str, token: str | None = None) -> bytes:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, url
        return bytes(response.read())


@dataclass(frozen=True)
class Snapshot:
    """What an auditor downloads, as files: checkpoint, export, JWKS, signature documents."""

    folder: Path
    key: str
    size: int

    @property
    def checkpoint(self) -> Path:
        return self.folder / "checkpoint.txt"

    @property
    def entries(self) -> Path:
        return self.folder / "export.jsonl"

    @property
    def jwks(self) -> Path:
        return self.folder / "jwks.json"

    @property
    def records(self) -> Path:
        return self.folder / "records.jsonl"

    def lines(self) -> list[bytes]:
        return self.entries.read_bytes().splitlines(keepends=True)

    def args(self, entries: Path | None = None, checkpoint: Path | None = None) -> list[str | Path]:
        return [
            "--entries",
            entries or self.entries,
            "--checkpoint",
            checkpoint or self.checkpoint,
            "--key",
            self.key,
        ]


def download(base: str, folder: Path, token: str) -> Snapshot:
    """``token``: an auditor's; the records file holds full documents only auditors are served."""
    folder.mkdir(parents=True)
    checkpoint = get(base + "/log/checkpoint")
    size = int(checkpoint.split(b"\n")[1])
    key = get(base + "/log/key").decode("utf-8").strip()
    lines: list[bytes] = []
    while len(lines) < size:  # pages of at most 1000; ask again from where a page stopped
        page = get(f"{base}/log/entries?start={len(lines)}&end={min(len(lines) + 1000, size)}")
        got = page.splitlines(keepends=True)
        assert got, "empty page"
        lines.extend(got)
    assert len(lines) == size
    documents = []
    for line in lines:
        entry = json.loads(line)
        if entry["type"] == "signature:create":
            body = get(f"{base}/api/v1/signatures/{entry['payload']['record_id']}", token)
            documents.append(json.dumps(json.loads(body), ensure_ascii=False) + "\n")
    snapshot = Snapshot(folder, key, size)
    snapshot.checkpoint.write_bytes(checkpoint)
    (folder / "verifier-key.txt").write_text(key + "\n", "utf-8")
    snapshot.entries.write_bytes(b"".join(lines))
    snapshot.jwks.write_bytes(get(base + "/.well-known/jwks.json"))
    snapshot.records.write_text("".join(documents), "utf-8")
    return snapshot


# ─────────────────────────────── one server for the whole module ─────────────────────────────


@dataclass
class World:
    app: Flask
    env: Env
    server: LiveServer
    tmp: Path
    first: Snapshot
    token: str = ""  # an auditor token (ikrar tokens create --auditor)

    def sign(self, *names: str) -> None:
        with self.app.app_context():
            for name in names:
                signing.sign(walk_in(name), self.app.extensions["ikrar.signers"])


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """The ``env`` fixture of tests/conftest.py, once per module."""
    tmp = tmp_path_factory.mktemp("verify-log-env")
    base = os.environ.get("IKRAR_TEST_DATABASE_URL")
    if not base:
        yield Env(f"sqlite:///{tmp / 'ikrar.sqlite3'}", tmp / "keys", tmp)
        return
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield Env(url.render_as_string(hide_password=False), tmp / "keys", tmp)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def world(environment: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The ``app`` and ``live_server`` fixtures once per module, with signatures and a download."""
    app = create_app(environment.config(), startup_checks=False)
    initialise(app)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "serve", "--port", str(port), "--workers", "2"],
        env=environment.variables | {"IKRAR_BASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=environment.instance,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/openapi.json", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.stdout else ""
                    raise RuntimeError(f"ikrar serve did not start:\n{output}") from None
                time.sleep(0.2)
        tmp = tmp_path_factory.mktemp("verify-log")
        world = World(app, environment, LiveServer(url, process), tmp, Snapshot(tmp, "", 0))
        world.token = auditor_token(app)
        world.sign(*NAMES)
        world.first = download(url, tmp / "first", world.token)
        yield world
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stdout:
            process.stdout.close()
        from registry.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ─────────────────────────────────────────── helpers ────────────────────────────────────────


class Cases:
    """Tampered copies of the export, each in its own file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def write(self, lines: Sequence[bytes], name: str = "case") -> Path:
        self.count += 1
        path = self.folder / f"{name}-{self.count}.jsonl"
        path.write_bytes(b"".join(lines))
        return path


def retype(line: bytes) -> bytes:
    """Change one letter of the entry's ``type``: still canonical and well-formed (an unknown
    type, whose payload a verifier ignores), but the entry's hash changes."""
    start = line.index(b'"type":"') + len(b'"type":"')
    end = line.index(b'"', start)
    letter = line[end - 1]
    new = b"a"[0] if letter in b"z_" else letter + 1
    return line[: end - 1] + bytes([new]) + line[end:]


def flip(line: bytes, position: int) -> bytes:
    return line[:position] + bytes([line[position] ^ 0x01]) + line[position + 1 :]


def escaped(line: bytes) -> bytes:
    """The first letter of the type written as a \\u escape: the same JSON value, other bytes."""
    start = line.index(b'"type":"') + len(b'"type":"')
    return line[:start] + b"\\u%04x" % line[start] + line[start + 1 :]


def note_key(name: str, private: Ed25519PrivateKey) -> tuple[str, bytes]:
    """A C2SP verifier key string for ``private`` and its 4-byte key id."""
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    encoded = base64.b64encode(b"\x01" + public).decode()
    return f"{name}+{key_id.hex()}+{encoded}", key_id


def sign_note(text_: bytes, name: str, private: Ed25519PrivateKey) -> bytes:
    _, key_id = note_key(name, private)
    signature = base64.b64encode(key_id + private.sign(text_)).decode()
    return text_ + f"\n— {name} {signature}\n".encode()


def expect_ok(outcome: Outcome, size: int) -> None:
    assert outcome.code == 0, outcome
    assert outcome.stderr == ""
    lines = outcome.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("OK:"), outcome
    assert f"{size} entries" in lines[0]
    assert f"size {size}" in lines[0]


def state_hashes(lines: Sequence[bytes]) -> bytes:
    return b"".join(hashlib.sha256(line.rstrip(b"\n")).digest() for line in lines)


# ──────────────────────────────────────────── tests ─────────────────────────────────────────


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_genuine_export_verifies(world: World) -> None:
    snap = world.first
    types = [json.loads(line)["type"] for line in snap.lines()]
    assert types.count("signature:create") == len(NAMES)
    root = base64.b64decode(snap.checkpoint.read_bytes().split(b"\n")[2]).hex()
    plain, with_jwks, with_records = verify_many(
        [
            snap.args(),
            [*snap.args(), "--jwks", snap.jwks],
            [*snap.args(), "--jwks", snap.jwks, "--records", snap.records],
        ]
    )
    for outcome in (plain, with_jwks, with_records):
        expect_ok(outcome, snap.size)
        assert root in outcome.stdout
    assert f"{len(NAMES)} records verified" in with_records.stdout
    assert "records verified" not in plain.stdout
    # Lines past the checkpoint's size are not read: a longer export still verifies.
    longer = Cases(world.tmp / "longer").write([*snap.lines(), snap.lines()[-1]])
    expect_ok(verify(*snap.args(entries=longer)), snap.size)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_usage_errors_exit_2(world: World) -> None:
    snap = world.first
    missing, records_alone, no_file = verify_many(
        [
            ["--entries", snap.entries],
            [*snap.args(), "--records", snap.records],
            snap.args(entries=world.tmp / "does-not-exist.jsonl"),
        ]
    )
    assert (missing.code, records_alone.code, no_file.code) == (2, 2, 2)
    assert missing.stdout == records_alone.stdout == no_file.stdout == ""


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_a_changed_byte_in_any_entry_is_found_at_that_entry(world: World) -> None:
    snap = world.first
    lines = snap.lines()
    last = len(lines) - 1
    cases = Cases(world.tmp / "changed")
    runs: list[list[str | Path]] = []
    expected: list[tuple[str, int | None]] = []
    for i, line in enumerate(lines):
        # Changed type letter: canonical and well formed, so only the chain (the next entry's
        # prev) or, for the last entry, the Merkle root can notice.
        runs.append(snap.args(entries=cases.write([*lines[:i], retype(line), *lines[i + 1 :]])))
        expected.append(("chain", i) if i < last else ("root", None))
        # A byte that breaks the JSON ("index" → 'index"): refused at that very entry.
        broken = line[:1] + b"'" + line[2:]
        runs.append(snap.args(entries=cases.write([*lines[:i], broken, *lines[i + 1 :]])))
        expected.append(("chain", i))
        # Changed index, changed time (+1 year: later than the next entry's time).
        for old, new in ((b'"index":%d,' % i, b'"index":%d,' % (i + 1000)), (b'"time":"20', b'"time":"21')):
            assert old in line
            runs.append(
                snap.args(entries=cases.write([*lines[:i], line.replace(old, new, 1), *lines[i + 1 :]]))
            )
            if old.startswith(b'"time') and i == last:
                expected.append(("root", None))
            else:  # a later time breaks the link to the next entry, named at this one
                expected.append(("chain", i))
        # A changed digit of prev: the link from the entry before breaks, named at the earlier
        # entry (FORMATS.md's convention, shared with `ikrar audit`); entry 0's prev must be zeros.
        start = line.index(b'"prev":"') + len(b'"prev":"')
        digit = b"1" if line[start + 10 : start + 11] != b"1" else b"2"
        changed = line[: start + 10] + digit + line[start + 11 :]
        runs.append(snap.args(entries=cases.write([*lines[:i], changed, *lines[i + 1 :]])))
        expected.append(("chain", max(i - 1, 0)))
    outcomes = verify_many(runs)
    for outcome, want, args in zip(outcomes, expected, runs, strict=True):
        assert outcome.failure == want, (args[1], outcome)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_every_byte_of_a_signature_entry_matters(world: World) -> None:
    """A one-bit change at positions spread over one signature:create entry in the middle (about
    40 of them, always including the first and the last byte, to keep the module under ~30 s)."""
    snap = world.first
    lines = snap.lines()
    i = next(n for n, line in enumerate(lines) if b'"signature:create"' in line and n < len(lines) - 1)
    line = lines[i]
    prev_start = line.index(b'"prev":"') + len(b'"prev":"')
    cases = Cases(world.tmp / "bits")
    runs = []
    expected = []
    positions = sorted({*range(0, len(line) - 1, max(1, (len(line) - 1) // 40)), len(line) - 2})
    for position in positions:  # not the newline
        changed = flip(line, position)
        runs.append(snap.args(entries=cases.write([*lines[:i], changed, *lines[i + 1 :]])))
        in_prev = prev_start <= position < prev_start + 64 and chr(changed[position]) in "0123456789abcdef"
        expected.append({i - 1} if in_prev else {i})
    for position, outcome, want in zip(positions, verify_many(runs), expected, strict=True):
        kind, index = outcome.failure
        assert kind == "chain" and index in want, (position, chr(line[position]), outcome)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_deleted_swapped_and_missing_lines(world: World) -> None:
    snap = world.first
    lines = snap.lines()
    size = len(lines)
    cases = Cases(world.tmp / "lines")
    runs: list[list[str | Path]] = []
    expected: list[tuple[str, int | None]] = []
    for j in range(size - 1):
        runs.append(snap.args(entries=cases.write([*lines[:j], *lines[j + 1 :]], "deleted")))
        expected.append(("chain", j))
        swapped = [*lines[:j], lines[j + 1], lines[j], *lines[j + 2 :]]
        runs.append(snap.args(entries=cases.write(swapped, "swapped")))
        expected.append(("chain", j))
    for k in (1, 2, 3):
        runs.append(snap.args(entries=cases.write(lines[:-k], "short")))
        expected.append(("truncation", size - k))
    runs.append(snap.args(entries=cases.write([], "empty")))
    expected.append(("truncation", 0))
    # An export cut inside an entry (even just its newline), and a CRLF line ending.
    for cut in (1, 20):
        runs.append(snap.args(entries=cases.write([*lines[:-1], lines[-1][:-cut]], "cut")))
        expected.append(("truncation", size - 1))
    runs.append(snap.args(entries=cases.write([lines[0].replace(b"\n", b"\r\n"), *lines[1:]], "crlf")))
    expected.append(("chain", 0))
    for outcome, want in zip(verify_many(runs), expected, strict=True):
        assert outcome.failure == want, outcome


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_non_canonical_entries_are_refused(world: World) -> None:
    snap = world.first
    lines = snap.lines()
    line = lines[1]
    entry = json.loads(line)
    variants = [
        json.dumps(entry).encode() + b"\n",  # spaces after separators
        json.dumps(dict(reversed(entry.items())), separators=(",", ":")).encode() + b"\n",  # unsorted
        line.replace(b"{", b'{"index":1,', 1),  # duplicate key
        line.replace(b'"index":1', b'"index":1.0', 1),  # float
        line.replace(b'"index":1', b'"index":NaN', 1),
        escaped(line),  # a needless \u escape
        line.replace(b"}\n", b',"extra":1}\n') if line.endswith(b"}\n") else line,  # sixth member
        b" " + line,  # leading space
        line[:-1] + b"\xff\n",  # invalid UTF-8
    ]
    cases = Cases(world.tmp / "canonical")
    runs = [snap.args(entries=cases.write([lines[0], variant, *lines[2:]])) for variant in variants]
    for variant, outcome in zip(variants, verify_many(runs), strict=True):
        assert outcome.failure == ("chain", 1), (variant, outcome)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_checkpoint_and_key_failures(world: World) -> None:
    snap = world.first
    note = snap.checkpoint.read_bytes()
    origin = note.split(b"\n")[0].decode()
    text_, _, signature_line = note.rpartition(b"\n\n")
    body = text_ + b"\n"
    prefix, _, encoded = signature_line.rstrip(b"\n").rpartition(b" ")
    blob = base64.b64decode(encoded)

    def with_blob(new: bytes) -> bytes:
        return body + b"\n" + prefix + b" " + base64.b64encode(new) + b"\n"

    other = Ed25519PrivateKey.generate()
    other_key, _ = note_key(origin, other)
    genuine_public = base64.b64decode(snap.key.split("+", 2)[2])
    wrong_id = f"{origin}+{'0' * 8}+{snap.key.split('+', 2)[2]}"
    renamed = note_key("another.example/log", other)[0]
    folder = world.tmp / "checkpoints"
    folder.mkdir()

    def note_file(name: str, data: bytes) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    root_line = body.split(b"\n")[2]
    bad_root = base64.b64encode(bytes([base64.b64decode(root_line)[0] ^ 1]) + base64.b64decode(root_line)[1:])
    runs: list[list[str | Path]] = [
        ["--entries", snap.entries, "--checkpoint", snap.checkpoint, "--key", other_key],  # wrong key
        ["--entries", snap.entries, "--checkpoint", snap.checkpoint, "--key", wrong_id],  # bad key id
        ["--entries", snap.entries, "--checkpoint", snap.checkpoint, "--key", renamed],  # other name
        ["--entries", snap.entries, "--checkpoint", snap.checkpoint, "--key", "not a key"],
        # one bit of the signature, one bit of the key id, one bit of the signed root
        snap.args(checkpoint=note_file("sigbit", with_blob(blob[:20] + bytes([blob[20] ^ 4]) + blob[21:]))),
        snap.args(checkpoint=note_file("idbit", with_blob(bytes([blob[0] ^ 1]) + blob[1:]))),
        snap.args(checkpoint=note_file("rootbit", note.replace(root_line, bad_root))),
        # a forged checkpoint: the genuine text signed by another key under the log's name
        snap.args(checkpoint=note_file("forged", sign_note(text_ + b"\n", origin, other))),
        snap.args(checkpoint=note_file("unsigned", body + b"\n")),
        snap.args(checkpoint=note_file("truncated-note", note[:-1])),
    ]
    outcomes = verify_many(runs)
    for outcome in outcomes:
        assert outcome.failure == ("checkpoint", None), outcome
    assert "other" in outcomes[0].stderr or "no signature" in outcomes[0].stderr
    assert len(genuine_public) == 33
    # A genuine-key signature next to an unknown one still verifies (unknown signers are ignored).
    extra = note + sign_note(b"x\n", "witness.example", other).split(b"\n\n")[1]
    expect_ok(verify(*snap.args(checkpoint=note_file("cosigned", extra))), snap.size)
    # A checkpoint that is correctly signed but claims another root: the root check fails.
    # (We cannot sign with the log's key, so we sign with our own and pass our key.)
    forged_root = body.replace(root_line, bad_root)
    outcome = verify(
        "--entries",
        snap.entries,
        "--checkpoint",
        note_file("own-root", sign_note(forged_root, origin, other)),
        "--key",
        other_key,
    )
    assert outcome.failure == ("root", None)
    # The same with the pinned JWKS: that key is not the log key the JWKS lists.
    outcome = verify(
        "--entries",
        snap.entries,
        "--checkpoint",
        note_file("own-genuine", sign_note(body, origin, other)),
        "--key",
        other_key,
        "--jwks",
        snap.jwks,
    )
    assert outcome.failure == ("checkpoint", None)
    # Bigger than the export: truncation at the export's length.
    bigger = body.replace(b"\n%d\n" % snap.size, b"\n%d\n" % (snap.size + 5), 1)
    outcome = verify(
        "--entries",
        snap.entries,
        "--checkpoint",
        note_file("own-big", sign_note(bigger, origin, other)),
        "--key",
        other_key,
    )
    assert outcome.failure == ("truncation", snap.size)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_records_verify_and_an_altered_record_fails(world: World) -> None:
    snap = world.first
    documents = [json.loads(line) for line in snap.records.read_text("utf-8").splitlines()]
    assert len(documents) == len(NAMES)
    alterations: list[Callable[[dict], None]] = [
        lambda d: d["record"]["signatory"].update(name=d["record"]["signatory"]["name"] + "x"),
        lambda d: d["record"]["consent"].update(public_display=not d["record"]["consent"]["public_display"]),
        lambda d: d["record"].update(signed_at="2020-01-01T00:00:00.000Z"),
        lambda d: d["record"]["dimensions"].reverse(),
        lambda d: d["record"].update(extra=1),
        lambda d: d.update(
            signature=d["signature"][:10] + ("A" if d["signature"][10] != "A" else "B") + d["signature"][11:]
        ),
        lambda d: d.update(kid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"),
        lambda d: d.update(log_index=d["log_index"] + 1),
    ]
    folder = world.tmp / "records"
    folder.mkdir()
    runs = []
    for n, alter in enumerate(alterations):
        altered = json.loads(json.dumps(documents))
        alter(altered[1])
        path = folder / f"records-{n}.jsonl"
        path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in altered), "utf-8")
        runs.append([*snap.args(), "--jwks", snap.jwks, "--records", path])
    outcomes = verify_many(runs)
    for outcome in outcomes:
        kind, _ = outcome.failure
        assert kind == "record", outcome
    # The first alteration is reported at the altered record's log index.
    assert outcomes[0].failure == ("record", documents[1]["log_index"])


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_issued_codes_carry_the_section_6_check_symbol(world: World) -> None:
    snap = world.first
    expect_ok(verify(*snap.args(), "--jwks", snap.jwks, "--records", snap.records), snap.size)
    documents = [json.loads(line) for line in Path(snap.records).read_text().splitlines()]
    code = documents[0]["record"]["code"]
    documents[0]["record"]["code"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    altered = world.tmp / "records-bad-code.jsonl"
    altered.write_text("".join(json.dumps(d) + "\n" for d in documents))
    outcome = verify(*snap.args(), "--jwks", snap.jwks, "--records", altered)
    assert outcome.failure[0] == "record"
    assert "check symbol" in outcome.stderr


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_state_continues_detects_rollback_and_fork(world: World) -> None:
    first = world.first
    state = world.tmp / "state"
    expect_ok(outcome := verify(*first.args(), "--state", state), first.size)
    assert "first run" in outcome.stdout
    assert (state / "checkpoint").read_bytes() == first.checkpoint.read_bytes()
    assert (state / "hashes").read_bytes() == state_hashes(first.lines())
    assert (state / "verifier-key").read_text().strip() == first.key

    # Two more signatures with a record-key rotation between them, and a withdrawal (an entry type
    # FORMATS.md §7 does not describe, which a verifier must accept).
    world.sign(LATER[0])
    rotated = ikrar(world.env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    world.sign(LATER[1])
    withdrawn_id = json.loads(first.records.read_text("utf-8").splitlines()[0])["id"]
    withdrawn = ikrar(
        world.env, "signatures", "withdraw", withdrawn_id, "--reason", "uji coba, salah tanda tangan"
    )
    assert withdrawn.returncode == 0, withdrawn.stdout + withdrawn.stderr
    second = download(world.server.url, world.tmp / "second", world.token)
    assert second.size >= first.size + len(LATER) + 2
    types = [json.loads(line)["type"] for line in second.lines()]
    assert "key:rotate" in types and "signature:withdraw" in types
    assert second.lines()[: first.size] == first.lines()
    expect_ok(
        outcome := verify(
            *second.args(), "--state", state, "--jwks", second.jwks, "--records", second.records
        ),
        second.size,
    )
    assert f"previous size {first.size}" in outcome.stdout
    assert (state / "checkpoint").read_bytes() == second.checkpoint.read_bytes()
    assert (state / "hashes").read_bytes() == state_hashes(second.lines())
    # The same checkpoint again is fine.
    expect_ok(verify(*second.args(), "--state", state), second.size)

    # Records the older checkpoint does not cover yet cannot be checked against it.
    kind, _ = verify(*first.args(), "--jwks", second.jwks, "--records", second.records).failure
    assert kind == "record"

    saved = {name: (state / name).read_bytes() for name in ("checkpoint", "hashes", "verifier-key")}
    # The older, shorter export and checkpoint: a rollback.
    assert verify(*first.args(), "--state", state).failure[0] == "rollback"
    # The genuine checkpoint with entry 3 rewritten (still canonical): a fork (or a broken chain)
    # at index 3.
    lines = second.lines()
    forked = Cases(world.tmp / "fork").write([*lines[:3], retype(lines[3]), *lines[4:]])
    kind, index = verify(*second.args(entries=forked), "--state", state).failure
    assert kind in ("fork", "chain") and index == 3
    # Another verifier key than the one the state pinned is refused.
    assert verify(
        *second.args(),
        "--state",
        state,
        "--key",
        note_key(second.key.split("+")[0], Ed25519PrivateKey.generate())[0],
    ).failure[0] in ("checkpoint", "state")
    # Nothing was saved by the failed runs.
    assert {name: (state / name).read_bytes() for name in saved} == saved
    assert sorted(p.name for p in state.iterdir()) == ["checkpoint", "hashes", "verifier-key"]


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_state_fork_with_a_consistent_rewrite(world: World) -> None:
    """A saved state of the genuine log; an export whose entries from 3 on were rewritten with
    valid links, and a checkpoint of the same size with another root → fork."""
    snap = world.first
    state = world.tmp / "state-fork"
    expect_ok(verify(*snap.args(), "--state", state), snap.size)
    lines = snap.lines()
    rewritten = [*lines[:3]]
    prev = hashlib.sha256(lines[2].rstrip(b"\n")).hexdigest()
    for n, line in enumerate(lines[3:], start=3):
        entry = json.loads(line)
        entry["prev"] = prev
        if n == 3:
            entry["type"] = "note:rewritten"
        data = json.dumps(entry, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        rewritten.append(data + b"\n")
        prev = hashlib.sha256(data).hexdigest()
    path = Cases(world.tmp / "rewrite").write(rewritten)
    # Without a state it verifies only against its own (different) root: a root failure.
    assert verify(*snap.args(entries=path)).failure == ("root", None)
    # Against the state: the rewritten entry is named.
    kind, index = verify(*snap.args(entries=path), "--state", state).failure
    assert (kind, index) in (("fork", 3), ("chain", 3))
    # A damaged state is reported as such.
    (state / "hashes").write_bytes((state / "hashes").read_bytes()[:-1])
    assert verify(*snap.args(), "--state", state).failure == ("state", None)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_state_folder_is_shared_with_ikrar_audit(world: World) -> None:
    """`ikrar audit --state` and the tool read each other's state folder."""
    snap = world.first
    state = world.tmp / "shared-state"
    expect_ok(verify(*snap.args(), "--state", state), snap.size)
    audit = ikrar(
        world.env,
        "audit",
        "--file",
        str(snap.entries),
        "--checkpoint",
        str(snap.checkpoint),
        "--key",
        snap.key,
        "--jwks",
        str(snap.jwks),
        "--no-records",
        "--state",
        str(state),
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    expect_ok(verify(*snap.args(), "--state", state), snap.size)
    # ikrar audit's own state, then the tool on it, then rollback seen by both.
    own = world.tmp / "audit-state"
    audit = ikrar(
        world.env,
        "audit",
        "--file",
        str(snap.entries),
        "--checkpoint",
        str(snap.checkpoint),
        "--key",
        snap.key,
        "--jwks",
        str(snap.jwks),
        "--no-records",
        "--state",
        str(own),
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    expect_ok(verify(*snap.args(), "--state", own), snap.size)
    lines = snap.lines()
    forked = Cases(world.tmp / "shared-fork").write([*lines[:3], retype(lines[3]), *lines[4:]])
    kind, index = verify(*snap.args(entries=forked), "--state", own).failure
    assert kind in ("fork", "chain") and index == 3


# ───────────────────────────────────── §2 public key rules ─────────────────────────────────────

P25519 = 2**255 - 19
_SIGN = 1 << 255


def _le32(n: int) -> bytes:
    return n.to_bytes(32, "little")


# Rule 1 (any y ≥ p, sign bit set or not) and rule 2 (the five canonical small-order y values).
BAD_KEYS: dict[str, tuple[bytes, str]] = {
    "y = p": (_le32(P25519), "non-canonical public key encoding"),
    "y = p + 1": (_le32(P25519 + 1), "non-canonical public key encoding"),
    "y = p + 2": (_le32(P25519 + 2), "non-canonical public key encoding"),
    "y = 2^255 - 1": (_le32(2**255 - 1), "non-canonical public key encoding"),
    "y = p, sign bit": (_le32(P25519 | _SIGN), "non-canonical public key encoding"),
    "y = p + 2, sign bit": (_le32((P25519 + 2) | _SIGN), "non-canonical public key encoding"),
    "y = 2^255 - 1, sign bit": (_le32(2**256 - 1), "non-canonical public key encoding"),
    "identity": (_le32(1), "public key of small order"),
    "y = 0, sign bit": (_le32(_SIGN), "public key of small order"),
    "y = p - 1 (order 2)": (_le32(P25519 - 1), "public key of small order"),
}


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_verifier_key_and_jwks_follow_both_key_rules(world: World) -> None:
    snap = world.first
    origin = snap.key.split("+", 1)[0]
    runs: list[list[str | Path]] = []
    for raw, _ in BAD_KEYS.values():
        # A well-formed verifier key (right type byte, right key id) around the bad public key.
        key_id = hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()[:4]
        encoded = base64.b64encode(bytes([1]) + raw).decode()
        vkey = f"{origin}+{key_id.hex()}+{encoded}"
        runs.append(["--entries", snap.entries, "--checkpoint", snap.checkpoint, "--key", vkey])
    folder = world.tmp / "bad-keys"
    folder.mkdir()
    jwks = json.loads(snap.jwks.read_bytes())
    for number, (raw, _) in enumerate(BAD_KEYS.values()):
        altered = json.loads(json.dumps(jwks))
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        member = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
        kid = base64.urlsafe_b64encode(hashlib.sha256(member.encode()).digest()).rstrip(b"=").decode()
        altered["keys"][0].update(x=x, kid=kid)  # a consistent JWK whose only fault is its key
        path = folder / f"jwks-{number}.json"
        path.write_text(json.dumps(altered))
        runs.append([*snap.args(), "--jwks", path])
    outcomes = verify_many(runs)
    expected = [(name, "checkpoint", message) for name, (_, message) in BAD_KEYS.items()]
    expected += [(name, "record", message) for name, (_, message) in BAD_KEYS.items()]
    for (name, kind, message), outcome in zip(expected, outcomes, strict=True):
        assert outcome.failure == (kind, None), (name, outcome)
        assert message in outcome.stderr, (name, outcome)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_commitment_payloads_with_and_without_version_sha256(world: World) -> None:
    """§7: a commitment entry has exactly the four legacy members or those and version_sha256 (hex)."""
    snap = world.first
    lines = snap.lines()
    i = next(n for n, line in enumerate(lines) if b'"commitment:create"' in line)
    entry = json.loads(lines[i])
    digest = entry["payload"]["version_sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)

    def variant(payload: dict[str, object]) -> bytes:
        changed = entry | {"payload": payload}
        return json.dumps(changed, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode() + b"\n"

    legacy = {k: v for k, v in entry["payload"].items() if k != "version_sha256"}
    variants = {
        "legacy": variant(legacy),
        "upper": variant(entry["payload"] | {"version_sha256": digest.upper()}),
        "short": variant(entry["payload"] | {"version_sha256": digest[:-1]}),
        "extra": variant(entry["payload"] | {"note": "x"}),
        "missing": variant({k: v for k, v in legacy.items() if k != "consent_sha256"}),
    }
    cases = Cases(world.tmp / "commitment-payloads")
    runs = [snap.args(entries=cases.write([*lines[:i], line, *lines[i + 1 :]])) for line in variants.values()]
    outcomes = dict(zip(variants, verify_many(runs), strict=True))
    for name, outcome in outcomes.items():
        assert outcome.failure == ("chain", i), (name, outcome)
    # The legacy member set is accepted: only the changed bytes break the link to the next entry.
    assert "link" in outcomes["legacy"].stderr, outcomes["legacy"]
    for name in ("upper", "short"):
        assert "malformed" in outcomes[name].stderr, outcomes[name]
    for name in ("extra", "missing"):
        assert "members" in outcomes[name].stderr, outcomes[name]
