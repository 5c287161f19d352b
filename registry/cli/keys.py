"""``ikrar keys …``: the key ring (generate, list, rotate, upgrade the key files)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from registry.app import key_settings
from registry.cli.support import AppGroup, clear_errors
from registry.core.canonical import format_instant
from registry.core.errors import IkrarError
from registry.services import keyring


@click.group("keys", cls=AppGroup)  # AppGroup: every command runs in the app context
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
