"""The witness file: the newest checkpoint this installation signed, per log, outside the database.

One file (``IKRAR_WITNESS_FILE``, by default in the instance folder) holds one entry per log,
named by the log's origin and its log key ID (``origin+1234abcd``, as signed notes name keys).
Several databases served from one instance folder — a test database, a PostgreSQL database that
replaced the embedded one, a new database with new keys — therefore each keep their own
witness instead of being compared with another log's checkpoint and refused as "rewound".

The file is JSON, ``{"format": "ikrar-witness/1", "logs": {"<origin>+<key id>": "<note>"}}``,
replaced atomically (temporary file, fsync, rename, fsync of the folder) under an exclusive
lock, because several workers of one server write it. A file written by an earlier release
holds one bare signed note: it is read as the entry of the log whose key signed it.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import suppress
from pathlib import Path

from registry.core.errors import NoteError
from registry.core.note import NoteVerifier, parse_note
from registry.core.tlog import Checkpoint

FORMAT = "ikrar-witness/1"


def entry_name(verifier: NoteVerifier) -> str:
    """The entry of the log whose checkpoints ``verifier`` checks: its origin and log key ID."""
    return f"{verifier.name}+{verifier.key_id:08x}"


def read_all(path: Path) -> dict[str, str]:
    """Every log's entry in the file; empty if the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.lstrip().startswith("{"):
        return _legacy(text)
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("logs"), dict):
        raise NoteError(f"{path} is not an Ikrar witness file ({FORMAT})")
    return {str(name): str(note) for name, note in data["logs"].items()}


def _legacy(note: str) -> dict[str, str]:
    """A bare note (releases before per-log entries): the entry of the log whose key signed it."""
    _text, signatures = parse_note(note)
    origin = note.split("\n", 1)[0]
    names = [f"{name}+{key_id:08x}" for name, key_id, _sig in signatures if name == origin]
    return {name: note for name in names[:1]}


def read(path: Path, name: str) -> str | None:
    return read_all(path).get(name)


_cache: dict[tuple[Path, str], tuple[int, int, bytes]] = {}


def witnessed(path: Path, name: str) -> tuple[int, bytes] | None:
    """(size, root) of this log's entry, re-read only when the file changes; None without one."""
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cached = _cache.get((path, name))
    if cached is None or cached[0] != mtime:
        note = read(path, name)
        if note is None:
            return None
        checkpoint = size_and_root(note)
        cached = (mtime, checkpoint.size, checkpoint.root_hash)
        _cache[(path, name)] = cached
    return cached[1], cached[2]


def size_and_root(note: str) -> Checkpoint:
    return Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")


def record(path: Path, name: str, note: str, size: int, *, replace: bool = False) -> None:
    """Make ``note`` this log's entry, unless a newer one is recorded (or ``replace``: always).

    Raises OSError when the file cannot be written (a full disk, a read-only folder); the old
    file is then left as it was and no temporary file is left behind.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several workers of one server share the file
        entries = read_all(path)
        current = entries.get(name)
        if not replace and current is not None and size_and_root(current).size >= size:
            return
        entries[name] = note
        _write(path, json.dumps({"format": FORMAT, "logs": entries}, indent=1, sort_keys=True) + "\n")


def forget(path: Path, name: str) -> None:
    """Remove this log's entry (``ikrar log accept-database`` on a log with no checkpoint yet)."""
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = read_all(path)
        if entries.pop(name, None) is not None:
            _write(path, json.dumps({"format": FORMAT, "logs": entries}, indent=1, sort_keys=True) + "\n")


def _write(path: Path, content: str) -> None:
    temporary = path.with_suffix(".tmp")
    try:
        # Created 0600 whatever the umask: the witness is an instance file kept private (instance_files.py).
        with open(temporary, "w", encoding="utf-8", opener=_private) as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):
            temporary.unlink()
        raise
    # The rename is durable only once the folder is: otherwise a power cut could bring back
    # the older witness after the database already holds the newer checkpoint.
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _private(path: str, flags: int) -> int:
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # a temporary file left over by a crash keeps its old mode otherwise
    return fd
