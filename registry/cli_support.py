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
