"""Handwritten signature strokes: validation, the canonical form whose SHA-256 is signed, and SVG paths."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Underflow,
)
from typing import Any

from registry.core.canonical import canonical_bytes, sha256_hex
from registry.core.errors import N_, FormatError

MAX_STROKES = 200
MAX_POINTS = 6000
MAX_COORDINATE = 10_000  # pad pixels
MAX_DURATION_MS = 10 * 60 * 1000
MIN_POINTS = 8
MIN_INK_LENGTH = 60.0  # pad pixels of drawn path: below this a mark is a dot or a dash, not a signature
MIN_EXTENT = 20.0  # pad pixels of width or height
DEFAULT_PRESSURE = Decimal("0.5")
# A stroke number m × 10^e (m without trailing zero digits) needs |m| < 10^30 and |e| <= 30
# (docs/FORMATS.md §5). The bound keeps every step below exact and cheap: 1e999999999 is
# refused from its exponent alone, never expanded into a billion-digit integer.
MAX_SIGNIFICANT_DIGITS = 30
MAX_EXPONENT = 30
_INT_LIMIT = 10 ** (MAX_SIGNIFICANT_DIGITS + MAX_EXPONENT)  # no accepted number reaches it
_POWERS_OF_TEN = (1, 10, 100, 1000)
_FAST_INT = 10**MAX_SIGNIFICANT_DIGITS  # every int below it is accepted as it is

# Values are at most 10^60 with steps of 10^-30, so a difference has at most 91 digits: at
# 128 digits every operation below is exact. Inexact is trapped all the same, so an error in
# that reasoning would refuse a request (as a 500) rather than round silently.
_EXACT = Context(
    prec=128,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    traps=[Inexact, InvalidOperation, Overflow, Underflow, DivisionByZero],
)

# Canonical point: [x, y, t, p] as integers — x, y in tenths of a pad pixel, t in ms since
# the first point, p in thousandths (0–1000). Integers keep the hash language-independent.
CanonicalStrokes = list[list[list[int]]]


def exact_number(value: Any, what: str) -> int | Decimal:
    """The exact value of one stroke number (§5), as an int or a Decimal, or FormatError.

    ``value`` is an int, a Decimal made from the JSON text (registry/api/body.py parses
    numbers with a fraction or exponent that way), or a float from a Python caller, read as
    its shortest round-trip text (``repr``, what ``json.dumps`` would send), never as its
    binary value: 0.5015 is 0.5015, not 0.50149999999999994582…
    """
    if type(value) is Decimal:  # the API's numbers with a fraction or exponent
        if not value.is_finite():
            raise FormatError(N_("%(what)s must be finite"), what=what)
        return _checked_decimal(value, what)
    if type(value) is int:
        if -_FAST_INT < value < _FAST_INT:
            return value  # at most 30 digits: m has at most 30 digits and e < 30
        value = _checked_decimal(Decimal(value) if -_INT_LIMIT < value < _INT_LIMIT else None, what)
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FormatError(N_("%(what)s must be a number"), what=what)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError(N_("%(what)s must be finite"), what=what)
        value = Decimal(repr(value))
    elif isinstance(value, int):  # an int subclass
        return exact_number(int(value), what)
    elif not value.is_finite():
        raise FormatError(N_("%(what)s must be finite"), what=what)
    return _checked_decimal(value, what)


def _checked_decimal(value: Decimal | None, what: str) -> Decimal:
    if value is None:
        _refuse_digits(what)
    assert value is not None
    if value.is_zero():
        return Decimal(0)  # -0, 0.000, 0e5: all zero
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) <= MAX_SIGNIFICANT_DIGITS and -MAX_EXPONENT <= exponent <= MAX_EXPONENT - len(digits) + 1:
        # The common case: m has at most len(digits) digits and e lies between exponent and
        # the leading digit's exponent, both within the bounds.
        return value
    # adjusted() is the exponent of the leading digit: a cheap filter for huge exponents.
    if not -MAX_EXPONENT <= value.adjusted() < MAX_SIGNIFICANT_DIGITS + MAX_EXPONENT:
        _refuse_digits(what)
    significant = bytes(digits).rstrip(b"\0")  # m: the digits without trailing zeros
    exponent += len(digits) - len(significant)  # e
    if len(significant) > MAX_SIGNIFICANT_DIGITS or not -MAX_EXPONENT <= exponent <= MAX_EXPONENT:
        _refuse_digits(what)
    return Decimal((sign, tuple(significant), exponent))


def _refuse_digits(what: str) -> None:
    raise FormatError(
        N_(
            "%(what)s must have at most %(digits)d significant digits and a decimal exponent "
            "between -%(exponent)d and %(exponent)d"
        ),
        what=what,
        digits=MAX_SIGNIFICANT_DIGITS,
        exponent=MAX_EXPONENT,
    )


def round_scaled(value: int | Decimal, scale: int) -> int:
    """round(value × 10^scale), half to even, computed exactly (scale 0 … 3)."""
    if type(value) is int:
        return value * _POWERS_OF_TEN[scale]
    # scaleb only moves the exponent (exact at this precision); round() of a Decimal rounds
    # half to even to an int, exactly, whatever the precision.
    scaled: Decimal = _EXACT.scaleb(value, scale)
    return round(scaled)


def canonicalise(strokes: Any) -> CanonicalStrokes:
    """Validate strokes as the kiosk sends them and return their canonical integer form (§5)."""
    if not isinstance(strokes, list) or not strokes:
        raise FormatError(N_("the signature is empty: draw it on the pad"))
    if len(strokes) > MAX_STROKES:
        raise FormatError(N_("too many strokes: at most %(n)d"), n=MAX_STROKES)
    total = sum(len(s) if isinstance(s, list) else 0 for s in strokes)
    if total > MAX_POINTS:
        raise FormatError(N_("too many points: at most %(n)d"), n=MAX_POINTS)
    # t_first is the t of the first point of the first stroke: one origin for the whole
    # signature, so the pauses between strokes are kept.
    origin: int | Decimal | None = None
    last_t: int | Decimal | None = None
    result: CanonicalStrokes = []
    for i, stroke in enumerate(strokes):
        if not isinstance(stroke, list) or not stroke:
            raise FormatError(N_("stroke %(i)d must be a non-empty list of points"), i=i)
        canonical_stroke: list[list[int]] = []
        for j, point in enumerate(stroke):
            where = f"stroke {i} point {j}"
            if (
                not isinstance(point, dict)
                or not {"x", "y", "t"} <= set(point)
                or set(point) - {"x", "y", "t", "p"}
            ):
                raise FormatError(N_("%(where)s must be an object with x, y, t and optional p"), where=where)
            x, y, t = (exact_number(point[k], f"{where}.{k}") for k in ("x", "y", "t"))
            p = exact_number(point["p"], f"{where}.p") if "p" in point else DEFAULT_PRESSURE
            if not (0 <= x <= MAX_COORDINATE and 0 <= y <= MAX_COORDINATE):
                raise FormatError(
                    N_("%(where)s lies outside the pad (0–%(max)d)"), where=where, max=MAX_COORDINATE
                )
            if not 0 <= p <= 1:
                raise FormatError(N_("%(where)s.p (pressure) must lie between 0 and 1"), where=where)
            if origin is None:
                origin = t
            if last_t is not None and t < last_t:
                raise FormatError(N_("%(where)s: time runs backwards"), where=where)
            last_t = t
            rel = t - origin if type(t) is int and type(origin) is int else _EXACT.subtract(t, origin)
            if rel > MAX_DURATION_MS:
                raise FormatError(N_("the signature took longer than 10 minutes to draw"))
            canonical_stroke.append(
                [round_scaled(x, 1), round_scaled(y, 1), round_scaled(rel, 0), round_scaled(p, 3)]
            )
        result.append(canonical_stroke)
    _refuse_trivial(result)
    return result


def _refuse_trivial(strokes: CanonicalStrokes) -> None:
    points = [pt for stroke in strokes for pt in stroke]
    if len(points) < MIN_POINTS:
        raise FormatError(N_("the signature is too short: please sign with your usual signature"))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if max(max(xs) - min(xs), max(ys) - min(ys)) < MIN_EXTENT * 10:
        raise FormatError(N_("the signature is too small: please sign larger"))
    ink = sum(math.dist(a[:2], b[:2]) for stroke in strokes for a, b in itertools.pairwise(stroke)) / 10
    if ink < MIN_INK_LENGTH:
        raise FormatError(N_("the signature is too short: please sign with your usual signature"))


def strokes_bytes(strokes: CanonicalStrokes) -> bytes:
    return canonical_bytes(strokes)


def strokes_sha256(strokes: CanonicalStrokes) -> str:
    return sha256_hex(strokes_bytes(strokes))


def bounding_box(strokes: Sequence[Sequence[Sequence[int]]]) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) in pad pixels."""
    xs = [p[0] / 10 for s in strokes for p in s]
    ys = [p[1] / 10 for s in strokes for p in s]
    return min(xs), min(ys), max(xs), max(ys)


def svg_paths(strokes: Sequence[Sequence[Sequence[int]]]) -> list[str]:
    """One SVG path ``d`` per stroke, in pad pixels, built only from numbers (no client text)."""
    paths = []
    for stroke in strokes:
        first, *rest = stroke
        d = [f"M{first[0] / 10:g} {first[1] / 10:g}"]
        d.extend(f"L{p[0] / 10:g} {p[1] / 10:g}" for p in rest) if rest else d.append("l0.1 0")
        paths.append(" ".join(d))
    return paths


def svg_document(strokes: Sequence[Sequence[Sequence[int]]], stroke_width: float = 3.0) -> str:
    """A standalone SVG image of the signature, cropped to its ink."""
    min_x, min_y, max_x, max_y = bounding_box(strokes)
    pad = stroke_width * 2
    width, height = max_x - min_x + 2 * pad, max_y - min_y + 2 * pad
    body = "".join(f'<path d="{d}"/>' for d in svg_paths(strokes))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{min_x - pad:g} {min_y - pad:g} '
        f'{width:g} {height:g}" fill="none" stroke="#10243e" stroke-width="{stroke_width:g}" '
        f'stroke-linecap="round" stroke-linejoin="round">{body}</svg>'
    )
