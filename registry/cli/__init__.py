"""The ``ikrar`` command: set up, serve, manage keys, verify the log."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from flask_migrate import upgrade

from registry.app import create_app, key_settings
from registry.cli_accounts import demo_accounts_created, tokens_group, users_group
from registry.cli_privacy import privacy_group
from registry.cli_support import clear_errors
from registry.cli_verify import verify_command
from registry.core.canonical import format_instant
from registry.core.errors import IkrarError
from registry.extensions import db
from registry.services import integrity, keyring
from registry.services.errors import ServiceError


def _factory() -> Flask:
    # Commands such as `init` must run before any key exists, so checks happen per command.
    return create_app(startup_checks=False)


# FlaskGroup is an AppGroup: its commands, and those of the groups made with ``@cli.group()``,
# run inside the application context with no per-command decorator.
@click.group(
    cls=FlaskGroup,
    create_app=_factory,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def cli() -> None:
    """Ikrar: a registry for signed public commitments."""


def _initialise() -> list[str]:
    upgrade(directory=current_app.extensions["migrate"].directory)
    return keyring.initialise(key_settings(current_app))


@cli.command()
@clear_errors
def init() -> None:
    """Create or upgrade the database and generate the first keys (only if none exist)."""
    created = _initialise()
    for kid in created:
        click.echo(f"generated key {kid}")
    click.echo("database ready" + ("" if created else "; existing keys kept"))


def _serve(host: str, port: int, workers: int, threads: int) -> None:
    from registry import ratelimit
    from registry.startup import check
    from registry.wsgi_server import run

    check(current_app)
    if current_app.config.get("IKRAR_MFA") == "off" and not current_app.config.get("IKRAR_DEMO"):
        message = "IKRAR_MFA=off: admins and auditors sign in with a password only; use only for a demo"
        current_app.logger.warning(message)
        click.echo(f"warning: {message}", err=True)
    ratelimit.check_shared(current_app.config["RATELIMIT_STORAGE_URI"], workers)
    db.session.remove()
    db.engine.dispose()  # workers open their own connections after the fork
    run(host=host, port=port, workers=workers, threads=threads)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@clear_errors
def demo(host: str, port: int) -> None:
    """Set up on first run (database, key, Purbalingga demo commitment), then serve."""
    from registry import demo as demo_data

    created = _initialise()
    for kid in created:
        click.echo(f"generated key {kid}")
    if demo_data.load():
        click.echo(f"loaded demo commitment {demo_data.SLUG}")
    base = f"http://{host}:{port}"
    # QR codes and API links must point where this demo actually listens.
    os.environ.setdefault("IKRAR_BASE_URL", base)
    # The demo's staff sign in with the printed passwords alone (the serving workers read this).
    os.environ["IKRAR_MFA"] = "off"
    current_app.config["IKRAR_MFA"] = "off"
    current_app.config["IKRAR_DEMO"] = True
    click.echo(
        "\nIkrar is starting:\n"
        f"  home          {base}/  (type a verification code)\n"
        f"  public list   {base}/c/{demo_data.SLUG}\n"
        f"  live screen   {base}/c/{demo_data.SLUG}/layar  (for the projector)\n"
        f"  commitments   {base}/api/v1/commitments\n"
        f"  demo          {base}/api/v1/commitments/{demo_data.SLUG}\n"
        f"  public keys   {base}/.well-known/jwks.json\n"
        f"  API document  {base}/openapi.json\n"
        f"  sign in       {base}/login\n"
        f"  auditors      {base}/audit\n"
        "  multi-factor authentication is OFF for this demo (IKRAR_MFA=off); production requires it\n"
    )
    credentials = Path(current_app.instance_path) / "demo-credentials"
    accounts, first_run = demo_accounts_created()
    if accounts and first_run:
        # Printed once, when created: a console scrollback or a captured service log must not
        # hold staff passwords at every start.
        click.echo(f"Demo accounts (passwords shown this once; kept in {credentials}, mode 0600):")
        for role, username, password in accounts:
            click.echo(f"  {role:<9} {username:<9} {password}")
    elif accounts:
        names = ", ".join(username for _, username, _ in accounts)
        click.echo(f"Demo accounts {names}: passwords in {credentials} (mode 0600), not printed again.")
    else:
        # Another database than the one the file's passwords were made for, with its own accounts.
        click.echo(f"This database has no demo accounts listed in {credentials}; use `ikrar users`.")
    click.echo("")
    _serve(host, port, workers=2, threads=4)


cli.add_command(users_group)
cli.add_command(tokens_group)
cli.add_command(verify_command)
cli.add_command(privacy_group)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@clear_errors
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve in production with gunicorn (refuses to start on a key or schema problem)."""
    _serve(host, port, workers, threads)


@cli.group()
def keys() -> None:
    """The key ring."""


@keys.command("generate")
@clear_errors
def keys_generate() -> None:
    """Generate the first keys; refuses if keys exist (use `ikrar keys rotate`)."""
    if keyring.active_kid("record") and keyring.active_kid("log"):
        raise click.ClickException("keys already exist; to replace the signing key use `ikrar keys rotate`")
    for kid in keyring.initialise(key_settings(current_app)):
        click.echo(f"generated key {kid}")


@keys.command("list")
@clear_errors
def keys_list() -> None:
    """Every key ever used, with purpose, status and validity."""
    ring = keyring.keyring()
    directory = key_settings(current_app).directory
    files = key_settings(current_app).key_directory()
    for key in sorted(ring.values(), key=lambda k: (k.not_before, k.kid)):
        until = format_instant(key.not_after) if key.not_after else "…"
        present = "file present" if (directory / f"{key.kid}.pem").exists() else "FILE MISSING"
        if present == "file present":
            try:
                info = files.info(key.kid)
                stale = ": run `ikrar keys upgrade`" if info.below(files.kdf) else ""
                present += f", {info.format}{stale}"
            except IkrarError:
                present += ", unreadable"
        click.echo(
            f"{key.kid}  {key.purpose:6}  {key.status:7}  "
            f"{format_instant(key.not_before)} – {until}  {present}"
        )
    if not ring:
        click.echo("no keys: run `ikrar init`")


@keys.command("rotate")
@clear_errors
def keys_rotate() -> None:
    """Generate a new record key that signs from now on; the old one stays for verification."""
    old, new = keyring.rotate(key_settings(current_app))
    click.echo(f"retired {old}\nactive  {new}")


@keys.command("upgrade")
@click.option(
    "--new-passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also change the passphrase: the new one, read from this file (mode 0600).",
)
@clear_errors
def keys_upgrade(new_passphrase_file: Path | None) -> None:
    """Rewrite every key file in the current format (ikrar-key v1, argon2id + AES-256-GCM)."""
    from registry.core.keystore import read_passphrase
    from registry.services.key_upgrade import upgrade

    settings = key_settings(current_app)
    new = read_passphrase(None, new_passphrase_file) if new_passphrase_file else None
    results = upgrade(settings, new)
    for result in results:
        if result.after is None:
            click.echo(f"kept     {result.kid}: already {result.before}")
        else:
            click.echo(f"upgraded {result.kid}: {result.before} -> {result.after}")
    rewritten = sum(1 for r in results if r.after is not None)
    click.echo(f"{rewritten} key files rewritten, {len(results) - rewritten} already current")
    if new is not None and settings.passphrase:
        click.echo("the keys now use the new passphrase: set IKRAR_KEY_PASSPHRASE to it before restarting")
    elif new is not None:
        click.echo(f"the keys now use the new passphrase, written to {settings.passphrase_file} (mode 0600)")


@cli.group("signatures")
def signatures_group() -> None:
    """Signature records."""


@signatures_group.command("withdraw")
@click.argument("record_id")
@click.option("--reason", required=True, help="Why the signature was made in error (shown publicly).")
@click.option("--actor", default=lambda: f"cli:{getpass.getuser()}", show_default="cli:<user>")
@clear_errors
def signatures_withdraw(record_id: str, reason: str, actor: str) -> None:
    """Withdraw a signature made in error; it stays verifiable and shows as withdrawn."""
    from registry.services.withdrawals import withdraw

    row = withdraw(record_id, reason, actor)
    click.echo(f"withdrawn {row.record_id} at {format_instant(row.withdrawn_at)} (log index {row.log_index})")


@cli.group("log")
def log_group() -> None:
    """The hash-chained log."""


@log_group.command("verify")
@clear_errors
def log_verify() -> None:
    """Recompute every entry hash, link and record signature; exit 1 naming the first bad index."""
    try:
        report = integrity.verify_database()
    except integrity.IntegrityError_ as exc:
        click.echo(f"FAILED at index {exc.index}: {exc.reason}", err=True)
        sys.exit(1)
    types = ", ".join(f"{n} {t}" for t, n in sorted(report.types.items()))
    click.echo(
        f"OK: {report.entries} entries, {report.records} signed records verified"
        + (f", {report.withdrawn} withdrawn" if report.withdrawn else "")
        + (f", {report.erased} erased (personal data; hashes checked)" if report.erased else "")
        + f", {report.published} published commitment versions match the log"
    )
    click.echo(f"head {report.head}\nroot {report.root.hex()}")
    if types:
        click.echo(f"entries by type: {types}")


@cli.command("audit")
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
    import os
    from pathlib import Path

    from registry.audit_client import Registry, load_json_file, read_token
    from registry.core.audit import AuditFailure, AuditState, audit
    from registry.core.keys import KeyRing
    from registry.core.note import parse_verifier_key

    if (url is None) == (export is None):
        raise click.UsageError("give either --url or --file")
    state = AuditState(Path(state_dir)) if state_dir else None
    key_text = verifier_key or (state.pinned_key() if state else None)
    token = read_token(token_file, dict(os.environ)) if url else None
    registry_ = Registry(url, token) if url else None
    if key_text is None:
        if registry_ is None:
            raise click.UsageError("--file needs --key (the log's verifier key)")
        key_text = registry_.text("/log/key").strip()
        click.echo(f"warning: trusting the server's own log key on first use: {key_text}", err=True)
    verifier = parse_verifier_key(key_text)
    ring = KeyRing.from_jwks(load_json_file(jwks_file)) if jwks_file else None
    if registry_ is not None:
        note = registry_.text("/log/checkpoint")
        if ring is None and records and token is not None:
            ring = KeyRing.from_jwks(registry_.json("/.well-known/jwks.json"))
        size = _claimed_size(note)
        lines = registry_.entries(size)
        fetch = registry_.signature if records else None
        fetch_version = registry_.version if records else None
    else:
        if checkpoint_file is None:
            raise click.UsageError("--file needs --checkpoint")
        note = Path(checkpoint_file).read_text(encoding="utf-8")
        lines = _file_lines(export)  # type: ignore[arg-type]
        fetch = fetch_version = None
    try:
        report = audit(
            note,
            lines,
            verifier,
            verifier.name,
            keyring=ring,
            fetch_record=fetch,
            fetch_version=fetch_version,
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
    cp = report.checkpoint
    click.echo(
        f"OK: {report.entries} entries verified against the checkpoint of {cp.origin} "
        f"(size {cp.size}, root {cp.root_hash.hex()})"
    )
    if fetch is not None and token is None:
        click.echo(
            f"{report.unsealed} records matched their log entries by record_sha256; "
            f"{report.unsealed} record seals not checked: no auditor token (--token-file)"
        )
    elif fetch is not None:
        click.echo(f"{report.records} signed records verified against the JWKS")
    if fetch is not None and report.erased:
        click.echo(
            f"{report.erased} erased records matched their log entries by record_sha256 and erasure; "
            "their personal data are erased, so no record or seal is left to check"
        )
    if fetch is not None:
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
    from registry.core.note import Checkpoint

    try:
        return Checkpoint.parse(note.split("\n\n", 1)[0] + "\n").size
    except IkrarError:
        return 0  # the audit then rejects the checkpoint itself


def _file_lines(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from handle


@log_group.command("accept-database")
@click.option(
    "--yes", is_flag=True, help="Confirm: you know why the database and the last checkpoint differ."
)
@clear_errors
def log_accept_database(yes: bool) -> None:
    """After restoring a backup on purpose: make this server's witness follow the database.

    Auditors who saw the newer checkpoint will report a rollback or fork: publish why.
    """
    from registry.services import checkpoints

    problem = checkpoints.witness_problem()
    if problem is None:
        click.echo("the database agrees with the last checkpoint this server signed; nothing to do")
        return
    click.echo(f"the database disagrees with the witness: {problem}")
    if not yes:
        raise click.ClickException("not changed; run again with --yes to accept the database as it is")
    size = checkpoints.accept_database()
    click.echo(f"witness now follows the database (checkpoint size {size})")


def main() -> None:
    """Entry point: Ikrar's and the database's errors become one line on stderr and exit status 1."""
    try:
        cli.main(prog_name="ikrar")
    except Exception as exc:
        line = error_line(exc)
        if line is None:
            raise
        _die(line)


def error_line(exc: BaseException) -> str | None:
    """The one line ``main`` prints for an error it expects, or None for a bug (a traceback)."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, IkrarError | ServiceError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"database error: {first}"
    return None


def _die(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
