"""``ikrar signatures …``: signature records (withdraw one made in error)."""

from __future__ import annotations

import getpass

import click

from registry.cli.support import AppGroup, clear_errors
from registry.core.canonical import format_instant


@click.group("signatures", cls=AppGroup)  # AppGroup: every command runs in the app context
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
