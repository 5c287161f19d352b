"""What every ``ikrar`` command shares: Ikrar's own errors as one line, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from registry.core.errors import IkrarError
from registry.services.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])


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
