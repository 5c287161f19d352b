"""The ``ikrar`` command: set up, serve, manage keys, verify the log.

One module per command group. The top group is a plain click group that imports a command's
module only when that command runs or a help text lists it, so ``ikrar verify`` and ``ikrar
audit`` import neither Flask nor the application. The commands that need the application are
``AppCommand`` instances or in an ``AppGroup`` (registry/cli/support.py): they build it as they run.
"""

from __future__ import annotations

import importlib
import sys

import click

from registry.core.errors import IkrarError
from registry.services.errors import ServiceError

# Command name -> "module:attribute" of the click command.
COMMANDS = {
    "audit": "registry.cli.audit:audit_command",
    "demo": "registry.cli.setup:demo",
    "init": "registry.cli.setup:init",
    "keys": "registry.cli.keys:keys",
    "log": "registry.cli.log:log_group",
    "privacy": "registry.cli.privacy:privacy_group",
    "serve": "registry.cli.setup:serve",
    "signatures": "registry.cli.signatures:signatures_group",
    "tokens": "registry.cli.accounts:tokens_group",
    "users": "registry.cli.accounts:users_group",
    "verify": "registry.cli.verify:verify_command",
}
# Flask extensions' command groups: they find the application through Flask's ScriptInfo.
FLASK_COMMANDS = {
    "db": "flask_migrate.cli:db",
    "limiter": "flask_limiter.commands:cli",
}


class Commands(click.Group):
    """The top group: each command is imported from its module when it is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *FLASK_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if cmd_name in FLASK_COMMANDS:
            from registry.cli.support import script_info

            script_info(ctx)
            target = FLASK_COMMANDS[cmd_name]
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command), target
        return command


@click.group(cls=Commands)
def cli() -> None:
    """Ikrar: a registry for signed public commitments."""


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
