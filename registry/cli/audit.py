"""``ikrar audit``: verify the log without trusting the server, from its address or an export.

Imports neither Flask nor the application: an auditor runs it on a machine of their own, where
no registry is configured (or one is configured wrongly).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from registry.audit_client import Registry, load_json_file, read_token
from registry.cli.support import clear_errors
from registry.core.audit import AuditFailure, AuditReport, AuditState, RecordFetcher, VersionFetcher, audit
from registry.core.errors import IkrarError
from registry.core.keys import KeyRing
from registry.core.note import NoteVerifier, parse_verifier_key
from registry.core.tlog import Checkpoint


@click.command("audit")
@click.option("--url", help="Base address of the registry to audit, e.g. https://ikrar.example.go.id")
@click.option(
    "--file",
    "export",
    type=click.Path(exists=True, dir_okay=False),
    help="Audit a downloaded export (JSON Lines of entries) instead of a live registry.",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Signed checkpoint file (required with --file).",
)
@click.option("--key", "verifier_key", help="Pinned log verifier key (name+keyid+base64).")
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Pinned JWKS for record signatures (default: fetched from --url).",
)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False),
    help="Folder remembering the last verified checkpoint; detects rollback, truncation, forks.",
)
@click.option(
    "--records/--no-records",
    default=True,
    show_default=True,
    help="Also fetch and verify every signed record, its status and withdrawal, and every published "
    "commitment version (with --url).",
)
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False),
    help="File holding an auditor token (ikrar tokens create --auditor; else env IKRAR_AUDIT_TOKEN): "
    "without one the records' seals cannot be checked, only their record_sha256 against the log.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=256),
    help="Processes that parse entries (default: one per core; 1: parse in this process).",
)
@clear_errors
def audit_command(
    url: str | None,
    export: str | None,
    checkpoint_file: str | None,
    verifier_key: str | None,
    jwks_file: str | None,
    state_dir: str | None,
    records: bool,
    token_file: str | None,
    workers: int | None,
) -> None:
    """Verify the log without trusting the server: hashes, links, Merkle root, checkpoint, records,
    their status and withdrawals, and the published commitment versions."""
    if (url is None) == (export is None):
        raise click.UsageError("give either --url or --file")
    state = AuditState(Path(state_dir)) if state_dir else None
    token = read_token(token_file, dict(os.environ)) if url else None
    registry_ = Registry(url, token) if url else None
    verifier = _verifier(verifier_key or (state.pinned_key() if state else None), registry_)
    ring = KeyRing.from_jwks(load_json_file(jwks_file)) if jwks_file else None
    if registry_ is not None:
        source = _served(registry_, ring, records, sealed=token is not None)
    else:
        if checkpoint_file is None:
            raise click.UsageError("--file needs --checkpoint")
        assert export is not None
        source = _Source(Path(checkpoint_file).read_text(encoding="utf-8"), _file_lines(export), ring)
    try:
        report = audit(
            source.note,
            source.lines,
            verifier,
            verifier.name,
            keyring=source.ring,
            fetch_record=source.fetch_record,
            fetch_version=source.fetch_version,
            state=state,
            seals=token is not None,
            workers=workers,
        )
    except AuditFailure as exc:
        click.echo(
            f"FAILED ({exc.kind})"
            + (f" at index {exc.index}" if exc.index is not None else "")
            + f": {exc.reason}",
            err=True,
        )
        sys.exit(1)
    _echo_report(report, fetched=source.fetch_record is not None, sealed=token is not None, state=state)


@dataclass
class _Source:
    """What is audited: the signed checkpoint, the entries, and what else the registry serves."""

    note: str
    lines: Iterable[bytes]
    ring: KeyRing | None
    fetch_record: RecordFetcher | None = None
    fetch_version: VersionFetcher | None = None


def _verifier(key_text: str | None, registry_: Registry | None) -> NoteVerifier:
    """The log's verifier key: pinned (--key or the state folder), else the server's own, trusted
    on first use with a warning."""
    if key_text is None:
        if registry_ is None:
            raise click.UsageError("--file needs --key (the log's verifier key)")
        key_text = registry_.text("/log/key").strip()
        click.echo(f"warning: trusting the server's own log key on first use: {key_text}", err=True)
    return parse_verifier_key(key_text)


def _served(registry_: Registry, ring: KeyRing | None, records: bool, *, sealed: bool) -> _Source:
    """A live registry's checkpoint and entries; with ``records``, its records and versions too."""
    note = registry_.text("/log/checkpoint")
    if ring is None and records and sealed:
        ring = KeyRing.from_jwks(registry_.json("/.well-known/jwks.json"))
    lines = registry_.entries(_claimed_size(note))
    if not records:
        return _Source(note, lines, ring)
    return _Source(note, lines, ring, registry_.signature, registry_.version)


def _echo_report(report: AuditReport, *, fetched: bool, sealed: bool, state: AuditState | None) -> None:
    """What was verified; ``fetched``: the served records and versions were checked too."""
    cp = report.checkpoint
    click.echo(
        f"OK: {report.entries} entries verified against the checkpoint of {cp.origin} "
        f"(size {cp.size}, root {cp.root_hash.hex()})"
    )
    if fetched and not sealed:
        click.echo(
            f"{report.unsealed} records matched their log entries by record_sha256; "
            f"{report.unsealed} record seals not checked: no auditor token (--token-file)"
        )
    elif fetched:
        click.echo(f"{report.records} signed records verified against the JWKS")
    if fetched and report.erased:
        click.echo(
            f"{report.erased} erased records matched their log entries by record_sha256 and erasure; "
            "their personal data are erased, so no record or seal is left to check"
        )
    if fetched:
        click.echo(
            f"{report.versions} published commitment versions verified against their publish entries; "
            f"{report.withdrawals} withdrawals match their log entries; "
            f"{report.erasures} erasures match their signature:erase entries"
        )
    if report.previous_size is not None:
        click.echo(f"consistent with the checkpoint verified before (size {report.previous_size})")
    elif state is not None:
        click.echo(f"state saved in {state.directory}; the next audit will check against it")


def _claimed_size(note: str) -> int:
    """The size a checkpoint claims, read before verification only to know how much to download."""
    try:
        return Checkpoint.parse(note.split("\n\n", 1)[0] + "\n").size
    except IkrarError:
        return 0  # the audit then rejects the checkpoint itself


def _file_lines(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from handle
