"""Reading a JSON request body strictly: one meaning for every byte string, or a precise 4xx."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from registry.core.errors import N_
from registry.services.errors import InvalidInput

MAX_DEPTH = 8


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers could keep different copies of a repeated key; refuse it instead of guessing.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _exact(text: str) -> Decimal:
    """A number with a fraction or exponent, kept at its exact decimal value.

    Stroke points are rounded from it in exact decimal (docs/FORMATS.md §5): as a binary
    float, 0.5015 × 1000 is 501.49999999999994 and would round to 501, not 502. Every other member
    refuses non-integers by type, as before. A number beyond the double range (1e999) still
    makes the whole body invalid, as before.
    """
    if not math.isfinite(float(text)):
        raise ValueError(f"{text[:20]} is too large for a number")
    return Decimal(text)


def _depth(value: Any, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def json_object() -> dict[str, Any]:
    """The request body as a JSON object; 415 if it is not JSON, 422 naming what is wrong otherwise."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            N_("the body is not UTF-8 (byte %(byte)d)"), field="body", byte=exc.start
        ) from None
    if text.startswith("\ufeff"):
        raise InvalidInput(N_("the body starts with a byte order mark"), field="body")
    try:
        value = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_exact
        )
    except _DuplicateKey as exc:
        raise InvalidInput(
            N_("the key %(key).40r appears twice in one object"), field="body", key=str(exc)
        ) from None
    except RecursionError:
        raise InvalidInput(N_("the body is nested too deeply"), field="body") from None
    except ValueError as exc:
        raise InvalidInput(
            N_("the body is not valid JSON: %(problem)s"), field="body", problem=str(exc)
        ) from None
    if not isinstance(value, dict):
        raise InvalidInput(N_("the body must be a JSON object"), field="body")
    if _depth(value) > MAX_DEPTH:
        raise InvalidInput(N_("the body is nested too deeply"), field="body")
    return value
