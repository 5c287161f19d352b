"""Fetching what an audit needs from a running registry over HTTP (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from registry.core.canonical import strict_json_loads
from registry.core.errors import IkrarError

PAGE = 1000
TIMEOUT = 30


class FetchError(IkrarError):
    """The registry could not be reached or answered with an error."""


class Registry:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        """``token``: an auditor bearer token (``ikrar tokens create --auditor``); without it the
        signature documents are the public ones, which carry no record to check a seal on."""
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise FetchError(f"--url must be an http(s) address, not {base_url!r}")
        self.base = base_url.rstrip("/")
        self.token = token

    def _get(self, path: str) -> bytes:
        url = self.base + path
        request = urllib.request.Request(url)  # noqa: S310 - scheme checked
        if self.token is not None:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - scheme checked
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise FetchError(f"GET {url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise FetchError(f"cannot reach {url}: {exc}") from exc

    def text(self, path: str) -> str:
        return self._get(path).decode("utf-8")

    def json(self, path: str) -> Any:
        try:
            return strict_json_loads(self._get(path))
        except IkrarError as exc:
            raise FetchError(f"{path}: {exc}") from exc

    def entries(self, size: int) -> Iterator[bytes]:
        """Entry lines 0 … size-1, page by page; memory stays one page."""
        start = 0
        while start < size:
            end = min(size, start + PAGE)
            body = self._get(f"/log/entries?start={start}&end={end}")
            lines = body.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            if not lines:
                return
            yield from lines
            start += len(lines)
            if len(lines) < end - (start - len(lines)):
                return  # the server served fewer than asked: the auditor reports the truncation

    def signature(self, record_id: str, *, code: str | None = None) -> dict[str, Any]:
        path = f"/api/v1/signatures/{urllib.parse.quote(record_id, safe='')}"
        if code is not None:
            path += "?code=" + urllib.parse.quote(code, safe="")  # the signer's capability
        document = self.json(path)
        if not isinstance(document, dict):
            raise FetchError("signature document is not an object")
        return document

    def version(self, commitment: str, version: int) -> dict[str, Any]:
        """A published commitment version (docs/FORMATS.md §4); any answer but 200 is a FetchError."""
        path = f"/api/v1/commitments/{urllib.parse.quote(commitment, safe='')}?version={int(version)}"
        document = self.json(path)
        if not isinstance(document, dict):
            raise FetchError("version document is not an object")
        return document


def read_token(path: str | None, environ: dict[str, str]) -> str | None:
    """The auditor token from ``path`` (first line) or ``IKRAR_AUDIT_TOKEN``; None if neither."""
    if path is not None:
        try:
            with open(path, encoding="utf-8") as handle:
                token = handle.readline().strip()
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {exc.strerror}") from exc
        if not token:
            raise FetchError(f"{path} holds no token on its first line")
        return token
    return environ.get("IKRAR_AUDIT_TOKEN", "").strip() or None


def load_json_file(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            return strict_json_loads(handle.read())
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror}") from exc


__all__ = ["FetchError", "Registry", "json", "load_json_file", "read_token"]
