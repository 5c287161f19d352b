"""What every ``ikrar`` command shares: Ikrar's own errors as one line, never a traceback, and
the application for the commands that need one, built only when such a command runs.

This module imports neither Flask nor the application: ``ikrar verify`` and ``ikrar audit`` use it
and must run without them (an auditor's machine, a broken ``IKRAR_BASE_URL``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from registry.core.errors import IkrarError
from registry.services.errors import ServiceError

if TYPE_CHECKING:
    from flask import Flask
    from flask.cli import ScriptInfo

F = TypeVar("F", bound=Callable[..., Any])


def _factory() -> Flask:
    from registry.app import create_app

    # Commands such as `init` must run before any key exists, so checks happen per command.
    return create_app(startup_checks=False)


def script_info(ctx: click.Context) -> ScriptInfo:
    """Flask's ScriptInfo for this run, which builds the application when first asked.

    The caller's if it passed one as ``obj`` (Flask's test runner does), else one made from the
    environment and kept as the root context's object, where Flask's own commands (``ikrar db``)
    look for it.
    """
    from flask.cli import ScriptInfo

    info = ctx.find_object(ScriptInfo)
    if info is None:
        # As Flask's FlaskGroup made it: FLASK_DEBUG is honoured, no .env file is read.
        info = ScriptInfo(create_app=_factory, load_dotenv_defaults=False)
        root = ctx.find_root()
        if root.obj is None:
            root.obj = info
    return info


class AppCommand(click.Command):
    """A command that runs inside the registry's application context.

    The application is built when the command runs (not for its ``--help``); an application
    context already pushed (a test's) is used as it is.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from flask import current_app

        if not current_app:
            ctx.with_resource(script_info(ctx).load_app().app_context())
        return super().invoke(ctx)


class AppGroup(click.Group):
    """A group whose commands, and its subgroups' commands, run in the application context."""

    command_class = AppCommand
    group_class = type  # subgroups are AppGroups too


def clear_errors(command: F) -> F:
    """Report Ikrar's own errors as one line and exit 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (IkrarError, ServiceError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def subject_options(signatory_help: str) -> Callable[[F], F]:
    """The options that name one data subject (``ikrar privacy export`` and ``erase``)."""

    def decorate(command: F) -> F:
        command = click.option(
            "--commitment", metavar="SLUG", help="With --signatory: only this commitment."
        )(command)
        command = click.option("--signatory", metavar="NAME", help=signatory_help)(command)
        command = click.option("--code", metavar="CODE", help="The verification code on the certificate.")(
            command
        )
        return click.option("--record", "record_id", metavar="ID", help="The record id (26 characters).")(
            command
        )

    return decorate


def check_subject(
    record_id: str | None, code: str | None, signatory: str | None, commitment: str | None
) -> None:
    """Exactly one of --record, --code and --signatory; --commitment only with --signatory."""
    if sum(v is not None for v in (record_id, code, signatory)) != 1:
        raise click.UsageError("give exactly one of --record, --code and --signatory")
    if commitment is not None and signatory is None:
        raise click.UsageError("--commitment narrows --signatory only")
