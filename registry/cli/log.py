"""``ikrar log …``: check the hash-chained log in the database, and accept a restored one."""

from __future__ import annotations

import sys

import click

from registry.cli.support import AppGroup, clear_errors
from registry.services import integrity


@click.group("log", cls=AppGroup)  # AppGroup: every command runs in the app context
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
