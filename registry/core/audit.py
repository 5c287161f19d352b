"""The auditor: re-verify a downloaded log against a signed checkpoint and the auditor's own memory.

Streams entries in constant memory. The auditor's state folder remembers the last checkpoint it
verified and the hash of every entry it has seen (32 bytes each, on disk), so the next run can
prove the log only grew: no rollback, truncation, rewrite or fork. Given fetchers, it also checks
what the registry serves against the proven log (:class:`Served`): each record, its status,
withdrawal and erasure, and each published commitment version (docs/FORMATS.md §7). The rules for
``signature:erase`` entries and erased documents are in :mod:`registry.core.erasure_audit`.
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
from registry.core.chain import ChainError, ChainVerifier, Entry
from registry.core.entry_stream import Malformed, Parsed, parsed_entries
from registry.core.erasure_audit import Erasures
from registry.core.errors import IkrarError, NoteError, VerificationError
from registry.core.keys import KeyRing
from registry.core.note import NoteVerifier
from registry.core.records import verify_record
from registry.core.tlog import Checkpoint, open_checkpoint
from registry.core.version_entries import (
    COMMITMENT_TYPES,
    STATUS_AFTER,
    served_version_problem,
    status_problem,
    version_key,
)

RecordFetcher = Callable[[str], dict[str, Any]]
VersionFetcher = Callable[[str, int], dict[str, Any]]


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
    versions: int = 0
    withdrawals: int = 0
    # signature:create entries whose served record_sha256 was checked but whose seal was not
    # (no auditor token: the public document carries no record, docs/FORMATS.md §8).
    unsealed: int = 0
    # signature:create entries whose record the registry serves as erased: its record_sha256 and
    # erasure were checked against the log, but no record or seal is left to check.
    erased: int = 0
    erasures: int = 0  # signature:erase entries that agree with the erased document served


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
    fetch_version: VersionFetcher | None = None,
    state: AuditState | None = None,
    seals: bool = True,
    workers: int | None = None,
) -> AuditReport:
    """Verify ``lines`` (entry canonical bytes, in order) against ``checkpoint_note``; raise AuditFailure.

    ``seals=False``: the fetched documents are the public ones (no auditor token): each served
    ``record_sha256``, status and withdrawal is checked against the log, but no record's seal.
    ``workers``: processes that parse entries (default: one per core; 1 parses in this process).
    """
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
    check_records = fetch_record is not None and (keyring is not None or not seals)
    served = Served(checkpoint.size, records=check_records)
    with _Walk(checkpoint, previous, state) as walk:
        for line, item in parsed_entries(lines, workers):
            if walk.chain.size >= checkpoint.size:
                break
            position, entry = walk.step(line, item)
            report.types[entry.type] += 1
            if entry.type == "signature:create" and fetch_record is not None and check_records:
                ring = keyring if seals else None
                _check_create(entry.payload, position, entry.time, fetch_record, ring, served, report)
            served.entry(position, entry.type, entry.payload, entry.time)
    report.entries = walk.chain.size
    walk.check_complete()
    # The log is proven; now what the registry serves must be what it holds.
    served.finish(fetch_version)
    report.versions, report.withdrawals = served.versions, served.withdrawals
    report.erasures = served.erasures.matched
    if state is not None and walk.new_hashes_path is not None:
        state.save(checkpoint_note, walk.new_hashes_path, verifier.verifier_key())
    return report


class _Walk:
    """The hash chain and Merkle tree of the served entries, compared entry by entry with the
    hashes the auditor's state remembers (a fork) and written to its next state."""

    def __init__(self, checkpoint: Checkpoint, previous: Checkpoint | None, state: AuditState | None) -> None:
        self.checkpoint, self.previous = checkpoint, previous
        self.old_hashes = _open_hashes(state) if previous is not None and state is not None else None
        self.new_hashes_path = (state.directory / "hashes.new") if state else None
        if self.new_hashes_path:
            self.new_hashes_path.parent.mkdir(parents=True, exist_ok=True)
        self.chain = ChainVerifier()
        self.frontier = merkle.Fold()
        self.out = open(self.new_hashes_path, "wb") if self.new_hashes_path else None  # noqa: SIM115 - closed by __exit__

    def __enter__(self) -> _Walk:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.out is not None:
            self.out.close()
        if self.old_hashes is not None:
            self.old_hashes.close()

    def step(self, line: bytes, item: Parsed | Malformed) -> tuple[int, Entry]:
        """Link the next entry (``item`` parsed from ``line``); its position and the entry."""
        position = self.chain.size
        digest = hashlib.sha256(line).digest() if isinstance(item, Malformed) else item.digest
        previous = self.previous
        seen = self.old_hashes is not None and previous is not None and position < previous.size
        if seen and digest != self.old_hashes.read(32):  # type: ignore[union-attr]
            raise AuditFailure(
                "fork",
                "this entry differs from the one verified before: the log was rewritten or forked",
                index=position,
            )
        try:
            if isinstance(item, Malformed):
                raise self.chain.malformed(item.reason)
            entry = self.chain.link(item.entry, digest.hex())
        except ChainError as exc:
            raise AuditFailure("chain", exc.reason, index=exc.index) from exc
        self.frontier.append(item.leaf)
        if self.out is not None:
            self.out.write(digest)
        size = self.chain.size
        if previous is not None and size == previous.size and self.frontier.root() != previous.root_hash:
            raise AuditFailure(
                "fork",
                "the first entries no longer match the checkpoint verified before",
                index=previous.size - 1,
            )
        return position, entry

    def check_complete(self) -> None:
        """Every entry the checkpoint covers was served, and they hash to its root."""
        covered, served = self.checkpoint.size, self.chain.size
        if served < covered:
            raise AuditFailure(
                "truncation",
                f"the checkpoint covers {covered} entries but only {served} were served",
                index=served,
            )
        if self.frontier.root() != self.checkpoint.root_hash:
            raise AuditFailure("root", "the entries do not hash to the checkpoint's Merkle root")


def _open_hashes(state: AuditState) -> Any:
    try:
        return open(state.hashes_file, "rb")
    except FileNotFoundError as exc:
        raise AuditFailure("state", f"{state.hashes_file} is missing; start a new state folder") from exc


def _check_create(
    payload: dict[str, Any],
    index: int,
    time: str,
    fetch: RecordFetcher,
    ring: KeyRing | None,
    served: Served,
    report: AuditReport,
) -> None:
    """The document served for a signature:create entry, checked as far as what it holds allows;
    ``ring`` None: the public document (no auditor token), whose seal is not checked."""
    document = _fetch(payload, index, fetch, served)
    erased = isinstance(document, dict) and document.get("status") == "erased"
    if document is not None and (erased or ring is None):
        # An erased record has no bytes or seal left: only its hash and erasure can be compared.
        digest, rid, _, _ = _check_served(payload, index, document)
        served.record(index, digest, rid, None, document)
    elif document is not None and ring is not None:
        checked = _check_record(payload, index, time, document, ring)
        served.record(index, checked[0], checked[1]["id"], checked[1], document)
    if erased:
        report.erased += 1
    elif ring is not None:
        report.records += 1
    else:
        report.unsealed += 1


def _fetch(payload: dict[str, Any], index: int, fetch: RecordFetcher, served: Served) -> Any:
    """The document served for this signature:create entry's record; None when served as invalid."""
    record_id = payload.get("record_id")
    if not isinstance(record_id, str):
        raise AuditFailure("record", "signature entry without record_id", index=index)
    try:
        document = fetch(record_id)
    except IkrarError as exc:
        raise AuditFailure("record", f"record {record_id}: {exc}", index=index) from exc
    if isinstance(document, dict) and document.get("status") == "invalid":
        # The registry itself says the stored row no longer verifies; the entry that bound what
        # was altered may come earlier (a publish entry), so the failure waits for the whole walk.
        served.fail("record", f"the registry reports record {record_id} as invalid (integrity error)", index)
        return None
    return document


def _check_served(
    payload: dict[str, Any], index: int, document: Any
) -> tuple[str, str, None, dict[str, Any]]:
    """Without a record: the served record_sha256 must be the one the log committed to."""
    record_id = str(payload["record_id"])
    if not isinstance(document, dict) or document.get("id") != record_id:
        raise AuditFailure("record", f"record {record_id}: the registry serves another document", index=index)
    digest = document.get("record_sha256")
    if digest != payload.get("record_sha256"):
        raise AuditFailure("record", f"record {record_id} is not the one the log committed to", index=index)
    return str(digest), record_id, None, document


def _check_record(
    payload: dict[str, Any], index: int, time: str, document: dict[str, Any], ring: KeyRing
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Verify one served record; (record sha256, signed record, document)."""
    record_id = str(payload["record_id"])
    try:
        body = canonical_bytes(document["record"])
        signed, _ = verify_record(body, document["signature"], ring)
    except (IkrarError, KeyError, TypeError) as exc:
        raise AuditFailure("record", f"record {record_id}: {exc}", index=index) from exc
    digest = sha256_hex(body)
    if digest != payload.get("record_sha256"):
        raise AuditFailure("record", f"record {record_id} is not the one the log committed to", index=index)
    if parse_instant(signed.record["signed_at"]) != parse_instant(time):
        raise AuditFailure(
            "record", f"record {record_id} signed_at differs from its log entry's time", index=index
        )
    return digest, signed.record, document


@dataclass(frozen=True)
class _Withdrawn:
    """What a record document said of its withdrawal, kept until the log's entry for it comes."""

    log_index: int
    reason_sha256: str | None  # None: the public document shows no reason (signer declined display)
    at: str
    record_sha256: str


class Served:
    """What the registry serves beside the chain — published versions, record status, withdrawals —
    checked against the log. Memory: the publish entries and the withdrawn records, not all records.

    Failures are collected (the one at the smallest index wins) and raised once the chain and the
    Merkle root are proven, so a rewritten entry is still reported as a chain failure.
    """

    def __init__(self, size: int, *, records: bool) -> None:
        self.size, self.records = size, records
        self.publishes: list[tuple[int, dict[str, Any]]] = []
        self.published: dict[tuple[str, int], dict[str, Any]] = {}
        self.last_kind: dict[tuple[str, int], str] = {}  # each version's last commitment:* entry
        self.pending: dict[str, _Withdrawn] = {}
        self.settled: set[str] = set()
        self.first: AuditFailure | None = None
        self.versions = self.withdrawals = 0
        self.erasures = Erasures(size, records=records)

    def fail(self, kind: str, reason: str, index: int) -> None:
        if self.first is None or index < (self.first.index or 0):
            self.first = AuditFailure(kind, reason, index=index)

    def entry(self, index: int, kind: str, payload: dict[str, Any], time: str) -> None:
        if kind in COMMITMENT_TYPES:
            try:
                key = version_key(payload, kind)
            except ValueError as exc:
                self.fail("version", str(exc), index)
                return
            problem = status_problem(self.last_kind.get(key), kind)
            if problem is not None:
                self.fail("version", f"{key[0]} version {key[1]}: this entry {problem}", index)
            self.last_kind[key] = kind
            if kind == "commitment:publish":
                if key in self.published:
                    self.fail("version", f"{key[0]} version {key[1]} is published a second time", index)
                self.published[key] = payload
                self.publishes.append((index, payload))
        elif kind == "signature:withdraw" and self.records:
            self._withdraw(index, payload, time)
        elif kind == "signature:create":
            self.erasures.create(payload)
            # A seal made between a close and a reopen (or after a close) was made while signing
            # was closed: the registry refuses to, so such an entry is a forgery or a bug.
            named = (payload.get("commitment"), payload.get("version"))
            if STATUS_AFTER.get(self.last_kind.get(named, "")) == "closed":  # type: ignore[arg-type]
                self.fail(
                    "record", f"a signature of {named[0]} version {named[1]} was made while closed", index
                )
        elif kind == "signature:erase":
            problem = self.erasures.erase(index, payload, time)
            if problem is not None:
                self.fail("erasure", problem, index)

    def record(
        self, index: int, digest: str, rid: str, record: dict[str, Any] | None, document: dict[str, Any]
    ) -> None:
        """A record document fetched at its signature:create entry ``index``: ``record`` is the
        verified signed record, or None when only the public document was served (no seal check)."""
        if document.get("log_index") != index:
            self.fail(
                "record", f"the registry gives record {rid} log_index {document.get('log_index')!r}", index
            )
        bound = (
            None
            if record is None
            else self.published.get((record["commitment"]["id"], record["commitment"]["version"]))
        )
        if record is None:
            pass
        elif bound is None:
            self.fail("record", f"record {rid} seals a commitment version no earlier entry published", index)
        elif (bound["text_sha256"], bound["consent_sha256"]) != (
            record["commitment"]["text_sha256"],
            record["consent"]["text_sha256"],
        ):
            self.fail("record", f"record {rid} seals another text or consent text than was published", index)
        status, withdrawal = document.get("status"), document.get("withdrawal")
        if status == "erased":
            if any(document.get(name) is not None for name in ("record", "signature", "public")):
                self.fail("erasure", f"record {rid} is served as erased but still with its record", index)
                return
            problem = self.erasures.served(rid, index, digest, document.get("erasure"))
            if problem is not None:
                self.fail("erasure", problem, index)
                return
            if withdrawal is None:
                return
        elif document.get("erasure") is not None:
            self.fail("erasure", f"record {rid}: status {status!r} with an erasure", index)
            return
        elif status == "valid" and withdrawal is None:
            return  # settled when (if) a withdraw entry names it: that entry then has no pending match
        elif status != "withdrawn":
            self.fail("withdrawal", f"record {rid}: status {status!r} with withdrawal {withdrawal!r}", index)
            return
        if not isinstance(withdrawal, dict):
            self.fail("withdrawal", f"record {rid}: status {status!r} with withdrawal {withdrawal!r}", index)
            return
        at, reason, log_index = withdrawal.get("at"), withdrawal.get("reason"), withdrawal.get("log_index")
        if status == "erased":
            # The reason text was erased with the rest (it may name the person): null, or absent
            # from the public document; only the log's reason_sha256 is left of it.
            if reason is not None:
                self.fail("erasure", f"record {rid} is served as erased with its withdrawal's reason", index)
                return
            reason_ok = True
        else:
            # The public document of a signer who declined public display carries no reason text.
            reason_ok = isinstance(reason, str) or (record is None and "reason" not in withdrawal)
        if type(log_index) is not int or log_index <= index or not reason_ok:
            self.fail("withdrawal", f"record {rid}: malformed withdrawal {withdrawal!r}", index)
            return
        if log_index < self.size:  # a withdrawal after the checkpoint is for the next audit
            reason_sha256 = sha256_hex(reason.encode("utf-8")) if isinstance(reason, str) else None
            self.pending[rid] = _Withdrawn(log_index, reason_sha256, str(at), digest)

    def _withdraw(self, index: int, payload: dict[str, Any], time: str) -> None:
        rid = payload.get("record_id")
        if not isinstance(rid, str):
            self.fail("withdrawal", "signature:withdraw entry without record_id", index)
            return
        if rid in self.settled:
            self.fail("withdrawal", f"record {rid} is withdrawn a second time", index)
            return
        said = self.pending.pop(rid, None)
        if said is None:
            self.fail(
                "withdrawal",
                f"the log withdraws record {rid} here but the registry serves it as not withdrawn "
                "(or no earlier signature:create names it)",
                index,
            )
            return
        self.settled.add(rid)
        if said.log_index != index:
            self.fail(
                "withdrawal", f"the registry gives record {rid} withdrawal.log_index {said.log_index}", index
            )
        elif said.record_sha256 != payload.get("record_sha256"):
            self.fail("withdrawal", f"the entry withdraws another record than {rid}", index)
        elif said.reason_sha256 is not None and said.reason_sha256 != payload.get("reason_sha256"):
            self.fail(
                "withdrawal", f"the reason served for record {rid} does not hash to reason_sha256", index
            )
        elif parse_instant(said.at) != parse_instant(time):
            self.fail(
                "withdrawal", f"the withdrawal time served for record {rid} is not the entry's time", index
            )
        else:
            self.withdrawals += 1

    def finish(self, fetch_version: VersionFetcher | None) -> None:
        """Fetch every published version; raise the first failure found (smallest index)."""
        for rid, said in self.pending.items():
            self.fail(
                "withdrawal",
                f"the registry says record {rid} was withdrawn by this entry, which does not withdraw it",
                said.log_index,
            )
        for index, unmatched in self.erasures.unmatched():
            self.fail("erasure", unmatched, index)
        if fetch_version is not None:
            for index, payload in self.publishes:
                slug, number = payload["commitment"], payload["version"]
                try:
                    problem = served_version_problem(payload, fetch_version(slug, number))
                except IkrarError as exc:
                    problem = f"the registry does not serve it: {exc}"
                if problem is None:
                    self.versions += 1
                else:
                    self.fail("version", f"{slug} version {number}: {problem}", index)
        if self.first is not None:
            raise self.first
