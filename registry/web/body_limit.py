"""The request body limit for bodies without a Content-Length (``Transfer-Encoding: chunked``).

Werkzeug applies ``MAX_CONTENT_LENGTH`` to a stream of unknown length by reading at most that many
bytes and then reporting the end of the body: a chunked body of valid JSON followed by 2 MiB of
spaces was cut at the limit, parsed, and signed (201), where the same body with a Content-Length
gets 413. This middleware reads such a body before Flask sees it, at most one byte past the limit,
and hands Flask the bytes with their length: the whole body when it fits, otherwise limit + 1
bytes, which Flask refuses with 413 exactly as it refuses a declared length over the limit (the
API answers in problem details, pages with the error page). Nothing of an over-limit body is
parsed, so nothing is stored.

Only a body the server has already delimited is read here (``wsgi.input_terminated``, set by
gunicorn and by Werkzeug's development server for chunked requests); reading an undelimited
stream could wait forever, and Werkzeug gives the application an empty body for it anyway.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

READ_SIZE = 64 * 1024


def _read_at_most(stream: Any, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        data = stream.read(min(READ_SIZE, size - len(out)))
        if not data:
            break
        out.extend(data)
    return bytes(out)


class ChunkedBodyLimit:
    """WSGI middleware: give a chunked request body a Content-Length, or one that is over the limit."""

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: Callable[[], int | None]) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        limit = self.limit()
        if chunked and not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated") and limit:
            data = _read_at_most(environ["wsgi.input"], limit + 1)
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
            # Werkzeug ignores Content-Length beside chunked; the app now gets a plain, delimited body.
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)
