"""Running the application under gunicorn from the ``ikrar`` command."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import unquote_plus

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

# Query parameters whose values must never reach a log file: ``t`` is the capability token that
# opens a signer's certificate (a log line would hand it to anyone who reads the logs); ``q`` is
# the kiosk's invitee search, i.e. people's names (UU 27/2022: process only what is needed).
REDACTED_PARAMETERS = frozenset({"t", "q"})
REDACTED = "<redacted>"
# Request headers and environ values that carry credentials or a URL with its query string.
_SECRET_ATOMS = frozenset(
    {
        "{authorization}i",
        "{cookie}i",
        "{x-csrftoken}i",
        "{http_authorization}e",
        "{http_cookie}e",
        "{http_x_csrftoken}e",
    }
)
_URL_ATOMS = frozenset({"{referer}i", "{http_referer}e", "{raw_uri}e", "{request_uri}e"})


def redact_query(query: str) -> str:
    """``query`` with the value of every capability or personal-data parameter replaced."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name = part.split("=", 1)[0]
        parts.append(f"{name}={REDACTED}" if unquote_plus(name) in REDACTED_PARAMETERS else part)
    return "&".join(parts)


def redact_url(url: str) -> str:
    path, mark, query = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = query.partition("#")
    return f"{path}?{redact_query(query)}{hash_mark}{REDACTED if fragment else ''}"


def _scrubbed(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(redact_url(arg) if isinstance(arg, str) and "?" in arg else arg for arg in args)


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with tokens and names taken out of every access-log atom and of the
    URLs its error log names (a worker logs "Error handling request <uri>" with the query)."""

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().error(msg, *_scrubbed(args), **kwargs)

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().exception(msg, *_scrubbed(args), **kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().warning(msg, *_scrubbed(args), **kwargs)

    def critical(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().critical(msg, *_scrubbed(args), **kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().info(msg, *_scrubbed(args), **kwargs)

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        super().debug(msg, *_scrubbed(args), **kwargs)

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta
    ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        method, protocol = environ["REQUEST_METHOD"], environ["SERVER_PROTOCOL"]
        atoms["r"] = f"{method} {redact_url(environ['RAW_URI'])} {protocol}"
        atoms["q"] = redact_query(environ.get("QUERY_STRING", ""))
        atoms["f"] = redact_url(environ.get("HTTP_REFERER", "-"))
        for key in list(atoms):
            if key in _SECRET_ATOMS:
                atoms[key] = REDACTED
            elif key in _URL_ATOMS and isinstance(atoms[key], str):
                atoms[key] = redact_url(atoms[key])
            elif key == "{query_string}e":
                atoms[key] = redact_query(str(atoms[key]))
        return atoms


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn ≥ 25 opens one control socket per user by default; two registries on one
            # machine would fight over it, and nothing here needs runtime control.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        from registry import create_app

        return create_app()


def run(host: str, port: int, workers: int, threads: int) -> None:
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "logger_class": RedactingLogger,
            "timeout": 60,
            "graceful_timeout": 10,
        }
    ).run()
