"""The ``ikrar`` command: set up, serve, manage keys, verify the log."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from registry.app import create_app, key_settings
from registry.core.canonical import format_instant
from registry.core.errors import IkrarError
from registry.extensions import db
from registry.services import integrity, keyring
from registry.services.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])


def _factory() -> Flask:
    # Commands such as `init` must run before any key exists, so checks happen per command.
    return create_app(startup_checks=False)


def clear_errors(command: F) -> F:
    """Report Ikrar's own errors as one line and exit 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (IkrarError, ServiceError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


@click.group(cls=FlaskGroup, create_app=_factory, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def cli() -> None:
    """Ikrar: a registry for signed public commitments."""


def _initialise() -> list[str]:
    upgrade(directory=current_app.extensions["migrate"].directory)
    return keyring.initialise(key_settings(current_app))


@cli.command()
@with_appcontext
@clear_errors
def init() -> None:
    """Create or upgrade the database and generate the first keys (only if none exist)."""
    created = _initialise()
    for kid in created:
        click.echo(f"generated key {kid}")
    click.echo("database ready" + ("" if created else "; existing keys kept"))


def _serve(host: str, port: int, workers: int, threads: int) -> None:
    from registry.startup import check
    from registry.wsgi_server import run

    check(current_app)
    db.session.remove()
    db.engine.dispose()  # workers open their own connections after the fork
    run(host=host, port=port, workers=workers, threads=threads)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
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
    click.echo(
        "\nIkrar is starting:\n"
        f"  commitments   {base}/api/v1/commitments\n"
        f"  demo          {base}/api/v1/commitments/{demo_data.SLUG}\n"
        f"  public keys   {base}/.well-known/jwks.json\n"
        f"  API document  {base}/openapi.json\n"
        "  demo accounts none yet: sign-in and the kiosk arrive with the signing issue\n"
    )
    _serve(host, port, workers=2, threads=4)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
@clear_errors
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve in production with gunicorn (refuses to start on a key or schema problem)."""
    _serve(host, port, workers, threads)


@cli.group()
def keys() -> None:
    """The key ring."""


@keys.command("generate")
@with_appcontext
@clear_errors
def keys_generate() -> None:
    """Generate the first keys; refuses if keys exist (use `ikrar keys rotate`)."""
    if keyring.active_kid("record") and keyring.active_kid("log"):
        raise click.ClickException("keys already exist; to replace the signing key use `ikrar keys rotate`")
    for kid in keyring.initialise(key_settings(current_app)):
        click.echo(f"generated key {kid}")


@keys.command("list")
@with_appcontext
@clear_errors
def keys_list() -> None:
    """Every key ever used, with purpose, status and validity."""
    ring = keyring.keyring()
    directory = key_settings(current_app).directory
    for key in sorted(ring.values(), key=lambda k: (k.not_before, k.kid)):
        until = format_instant(key.not_after) if key.not_after else "…"
        present = "file present" if (directory / f"{key.kid}.pem").exists() else "FILE MISSING"
        click.echo(f"{key.kid}  {key.purpose:6}  {key.status:7}  {format_instant(key.not_before)} – {until}  {present}")
    if not ring:
        click.echo("no keys: run `ikrar init`")


@keys.command("rotate")
@with_appcontext
@clear_errors
def keys_rotate() -> None:
    """Generate a new record key that signs from now on; the old one stays for verification."""
    old, new = keyring.rotate(key_settings(current_app))
    click.echo(f"retired {old}\nactive  {new}")


@cli.group("log")
def log_group() -> None:
    """The hash-chained log."""


@log_group.command("verify")
@with_appcontext
@clear_errors
def log_verify() -> None:
    """Recompute every entry hash, link and record signature; exit 1 naming the first bad index."""
    try:
        report = integrity.verify_database()
    except integrity.IntegrityError_ as exc:
        click.echo(f"FAILED at index {exc.index}: {exc.reason}", err=True)
        sys.exit(1)
    types = ", ".join(f"{n} {t}" for t, n in sorted(report.types.items()))
    click.echo(f"OK: {report.entries} entries, {report.records} signed records verified")
    click.echo(f"head {report.head}\nroot {report.root.hex()}")
    if types:
        click.echo(f"entries by type: {types}")


def main() -> None:
    cli(prog_name="ikrar")
