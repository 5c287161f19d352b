"""``ikrar init``, ``ikrar demo`` and ``ikrar serve``: set up the registry and serve it."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade

from registry.app import key_settings
from registry.cli.accounts import demo_accounts_created
from registry.cli.support import AppCommand, clear_errors
from registry.extensions import db
from registry.services import keyring


def initialise() -> list[str]:
    """Create or upgrade the database and generate the first keys; the key ids generated."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    return keyring.initialise(key_settings(current_app))


@click.command(cls=AppCommand)
@clear_errors
def init() -> None:
    """Create or upgrade the database and generate the first keys (only if none exist)."""
    created = initialise()
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


@click.command(cls=AppCommand)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@clear_errors
def demo(host: str, port: int) -> None:
    """Set up on first run (database, key, Purbalingga demo commitment), then serve."""
    from registry import demo as demo_data

    created = initialise()
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


@click.command(cls=AppCommand)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@clear_errors
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve in production with gunicorn (refuses to start on a key or schema problem)."""
    _serve(host, port, workers, threads)
