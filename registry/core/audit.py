"""The auditor: re-verify a downloaded log against a signed checkpoint and the auditor's own memory.

Streams entries in constant memory. The auditor's state folder remembers the last checkpoint it
verified and the hash of every entry it has seen (32 bytes each, on disk), so the next run can
prove the log only grew: no rollback, truncation, rewrite or fork.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.core import merkle
from registry.core.canonical import canonical_bytes, parse_instant, sha256_hex
from registry.core.chain import ChainError, ChainVerifier
from registry.core.errors import IkrarError, NoteError, VerificationError
from registry.core.keys import KeyRing
from registry.core.note import Checkpoint, NoteVerifier, open_checkpoint
from registry.core.records import verify_record

RecordFetcher = Callable[[str], dict[str, Any]]


class AuditFailure(VerificationError):
    """The log failed an audit; ``index`` is the first bad entry when one can be named."""

    def __init__(self, kind: str, reason: str, index: int | None = None) -> None:
        where = f"at index {index}: " if index is not None else ""
        super().__init__(f"{kind} {where}{reason}")
        self.kind, self.reason, self.index = kind, reason, index


@dataclass
class AuditReport:
    checkpoint: Checkpoint
    entries: int = 0
    records: int = 0
    types: Counter[str] = field(default_factory=Counter)
    previous_size: int | None = None


class AuditState:
    """The auditor's memory: ``checkpoint`` (last verified signed note) and ``hashes`` (entry hashes)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.checkpoint_file = directory / "checkpoint"
        self.hashes_file = directory / "hashes"
        self.key_file = directory / "verifier-key"

    def previous(self, verifier: NoteVerifier, origin: str) -> Checkpoint | None:
        try:
            note = self.checkpoint_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return open_checkpoint(note, verifier, origin)
        except NoteError as exc:
            raise AuditFailure("state", f"the saved checkpoint does not verify with this key: {exc}") from exc

    def pinned_key(self) -> str | None:
        try:
            return self.key_file.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def save(self, note: str, hashes_tmp: Path, key: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.replace(hashes_tmp, self.hashes_file)
        for target, text in ((self.checkpoint_file, note), (self.key_file, key + "\n")):
            temporary = target.with_suffix(".tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, target)


def audit(
    checkpoint_note: str,
    lines: Iterable[bytes],
    verifier: NoteVerifier,
    origin: str,
    *,
    keyring: KeyRing | None = None,
    fetch_record: RecordFetcher | None = None,
    state: AuditState | None = None,
) -> AuditReport:
    """Verify ``lines`` (entry canonical bytes, in order) against ``checkpoint_note``; raise AuditFailure."""
    try:
        checkpoint = open_checkpoint(checkpoint_note, verifier, origin)
    except NoteError as exc:
        raise AuditFailure(
            "checkpoint", f"the checkpoint does not verify with the pinned log key: {exc}"
        ) from exc
    report = AuditReport(checkpoint)
    previous = state.previous(verifier, origin) if state else None
    if previous is not None:
        report.previous_size = previous.size
        if checkpoint.size < previous.size:
            raise AuditFailure(
                "rollback",
                f"the log now claims {checkpoint.size} entries but {previous.size} "
                "were verified before: entries were removed or an old copy is served",
                index=checkpoint.size,
            )
    old_hashes = _open_hashes(state) if previous is not None and state is not None else None
    new_hashes_path = (state.directory / "hashes.new") if state else None
    if new_hashes_path:
        new_hashes_path.parent.mkdir(parents=True, exist_ok=True)
    chain = ChainVerifier()
    frontier = merkle.Frontier.empty()
    out = open(new_hashes_path, "wb") if new_hashes_path else None  # noqa: SIM115 - closed below
    try:
        for raw in lines:
            if chain.size >= checkpoint.size:
                break
            line = raw[:-1] if raw.endswith(b"\n") else raw
            position = chain.size
            if old_hashes is not None and position < previous.size:  # type: ignore[union-attr]
                seen = old_hashes.read(32)
                if hashlib.sha256(line).digest() != seen:
                    raise AuditFailure(
                        "fork",
                        "this entry differs from the one verified before: the log was rewritten or forked",
                        index=position,
                    )
            try:
                entry = chain.add(line)
            except ChainError as exc:
                raise AuditFailure("chain", exc.reason, index=exc.index) from exc
            frontier, _ = frontier.append(merkle.leaf_hash(line))
            if out is not None:
                out.write(bytes.fromhex(entry.hash))
            if previous is not None and chain.size == previous.size and frontier.root() != previous.root_hash:
                raise AuditFailure(
                    "fork",
                    "the first entries no longer match the checkpoint verified before",
                    index=previous.size - 1,
                )
            report.types[entry.type] += 1
            if entry.type == "signature:create" and fetch_record is not None and keyring is not None:
                _check_record(entry.payload, position, entry.time, fetch_record, keyring)
                report.records += 1
    finally:
        if out is not None:
            out.close()
        if old_hashes is not None:
            old_hashes.close()
    report.entries = chain.size
    if chain.size < checkpoint.size:
        raise AuditFailure(
            "truncation",
            f"the checkpoint covers {checkpoint.size} entries but only {chain.size} were served",
            index=chain.size,
        )
    if frontier.root() != checkpoint.root_hash:
        raise AuditFailure("root", "the entries do not hash to the checkpoint's Merkle root")
    if state is not None and new_hashes_path is not None:
        state.save(checkpoint_note, new_hashes_path, verifier.verifier_key())
    return report


def _open_hashes(state: AuditState) -> Any:
    try:
        return open(state.hashes_file, "rb")
    except FileNotFoundError as exc:
        raise AuditFailure("state", f"{state.hashes_file} is missing; start a new state folder") from exc


def _check_record(
    payload: dict[str, Any], index: int, time: str, fetch: RecordFetcher, ring: KeyRing
) -> None:
    record_id = payload.get("record_id")
    if not isinstance(record_id, str):
        raise AuditFailure("record", "signature entry without record_id", index=index)
    try:
        document = fetch(record_id)
        body = canonical_bytes(document["record"])
        signed, _ = verify_record(body, document["signature"], ring)
    except (IkrarError, KeyError, TypeError) as exc:
        raise AuditFailure("record", f"record {record_id}: {exc}", index=index) from exc
    if sha256_hex(body) != payload.get("record_sha256"):
        raise AuditFailure("record", f"record {record_id} is not the one the log committed to", index=index)
    if parse_instant(signed.record["signed_at"]) != parse_instant(time):
        raise AuditFailure(
            "record", f"record {record_id} signed_at differs from its log entry's time", index=index
        )
