"""strokes.py: validation and canonical form of handwritten strokes, and the SVG drawn from them."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from registry.core.canonical import canonical_bytes
from registry.core.errors import FormatError
from registry.core.strokes import (
    MAX_COORDINATE,
    MAX_EXPONENT,
    MAX_POINTS,
    MAX_SIGNIFICANT_DIGITS,
    MAX_STROKES,
    bounding_box,
    canonicalise,
    exact_number,
    strokes_bytes,
    strokes_sha256,
    svg_document,
    svg_paths,
)
from tests.factories import scribble

SVG = "{http://www.w3.org/2000/svg}"


def line(
    length: float, points: int = 10, *, x0: float = 100, y0: float = 100, t0: float = 5000
) -> list[dict[str, Any]]:
    return [{"x": x0 + length * i / (points - 1), "y": y0, "t": t0 + 10 * i} for i in range(points)]


def circle(radius: float, points: int = 80) -> list[dict[str, Any]]:
    return [
        {"x": 100 + radius * math.sin(i), "y": 100 + radius * math.cos(i), "t": i * 5} for i in range(points)
    ]


# --- Canonical form ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 7, 42])
def test_realistic_signature(seed: int) -> None:
    raw = scribble(seed)
    result = canonicalise(copy.deepcopy(raw))
    t0 = raw[0][0]["t"]
    assert [len(s) for s in result] == [len(s) for s in raw]
    for stroke, canon in zip(raw, result, strict=True):
        for point, out in zip(stroke, canon, strict=True):
            assert all(type(v) is int for v in out)
            # Reference: exact rationals of the numbers' decimal text, Fraction's round (half to even).
            assert out == [
                round(Fraction(repr(point["x"])) * 10),
                round(Fraction(repr(point["y"])) * 10),
                round(Fraction(repr(point["t"])) - Fraction(repr(t0))),
                round(Fraction(repr(point["p"])) * 1000),
            ]
            assert abs(out[0] / 10 - point["x"]) <= 0.05 + 1e-9
            assert abs(out[1] / 10 - point["y"]) <= 0.05 + 1e-9
            assert 0 <= out[3] <= 1000
    assert result[0][0][2] == 0
    times = [pt[2] for s in result for pt in s]
    assert times == sorted(times)


def test_canonical_hash_is_stable() -> None:
    a, b = canonicalise(scribble(3)), canonicalise(scribble(3))
    assert a == b
    assert strokes_bytes(a) == canonical_bytes(a)
    assert strokes_sha256(a) == strokes_sha256(b) == hashlib.sha256(strokes_bytes(a)).hexdigest()
    # The same strokes after a JSON round trip (as the kiosk sends them) hash the same.
    assert strokes_sha256(canonicalise(json.loads(json.dumps(scribble(3))))) == strokes_sha256(a)
    # Integers only: the bytes are a plain JSON array of arrays of integers.
    assert re.fullmatch(rb"\[(\[(\[-?\d+,-?\d+,\d+,\d+\],?)+\],?)+\]", strokes_bytes(a))
    assert strokes_sha256(canonicalise(scribble(4))) != strokes_sha256(a)


def test_times_are_relative_to_the_first_point() -> None:
    shifted = scribble(5)
    for stroke in shifted:
        for point in stroke:
            point["t"] += 123_456
    assert canonicalise(shifted) == canonicalise(scribble(5))


def test_default_pressure_and_integer_input() -> None:
    strokes = [[{"x": int(p["x"]), "y": int(p["y"]), "t": int(p["t"])} for p in s] for s in scribble(6)]
    result = canonicalise(strokes)
    assert {pt[3] for s in result for pt in s} == {500}
    assert result[0][0][:2] == [strokes[0][0]["x"] * 10, strokes[0][0]["y"] * 10]


def test_limits_are_inclusive() -> None:
    # MAX_STROKES strokes, MAX_POINTS points, coordinates and pressure at both ends of their range.
    per = MAX_POINTS // MAX_STROKES
    strokes = []
    for s in range(MAX_STROKES):
        strokes.append(
            [
                {
                    "x": (s * 50 + i) % (MAX_COORDINATE + 1),
                    "y": (i * 333) % (MAX_COORDINATE + 1),
                    "t": s * per + i,
                    "p": (i % 2),
                }
                for i in range(per)
            ]
        )
    strokes[0][0].update(x=0, y=MAX_COORDINATE)
    strokes[1][0].update(x=MAX_COORDINATE, y=0)
    result = canonicalise(strokes)
    assert sum(len(s) for s in result) == MAX_POINTS
    assert result[0][0] == [0, MAX_COORDINATE * 10, 0, 0]
    assert {pt[3] for s in result for pt in s} == {0, 1000}


def test_ten_minutes_is_the_limit() -> None:
    strokes = scribble(8)
    strokes[-1][-1]["t"] = strokes[0][0]["t"] + 10 * 60 * 1000
    assert canonicalise(strokes)[-1][-1][2] == 600_000
    strokes[-1][-1]["t"] += 1
    with pytest.raises(FormatError, match="10 minutes"):
        canonicalise(strokes)


# --- Refusals -------------------------------------------------------------------------------------------


def _with_point(change: dict[str, Any], *, drop: str | None = None, stroke: int = 1, point: int = 5) -> Any:
    strokes = scribble(9)
    strokes[stroke][point].update(change)
    if drop:
        del strokes[stroke][point][drop]
    return strokes


REFUSALS: dict[str, tuple[Any, str]] = {
    "empty list": ([], "empty"),
    "not a list": ({"strokes": []}, "empty"),
    "none": (None, "empty"),
    "text": ("M0 0 L10 10", "empty"),
    "empty stroke": ([*scribble(1), []], "stroke 3 must be a non-empty list"),
    "stroke not a list": ([scribble(1)[0], {"x": 1}], "stroke 1 must be a non-empty list"),
    "point not an object": ([[[100, 100, 0, 0.5]] * 10], "must be an object"),
    "too many strokes": ([[{"x": 1, "y": 1, "t": i}] for i in range(MAX_STROKES + 1)], "too many strokes"),
    "too many points": (
        [line(100, MAX_POINTS // 2 + 1), line(100, MAX_POINTS // 2, t0=10**6)],
        "too many points",
    ),
    "missing x": (_with_point({}, drop="x"), "stroke 1 point 5 must be an object with x, y, t"),
    "missing y": (_with_point({}, drop="y"), "must be an object with x, y, t"),
    "missing t": (_with_point({}, drop="t"), "must be an object with x, y, t"),
    "extra key": (_with_point({"pressure": 0.5}), "must be an object with x, y, t"),
    "extra key html": (_with_point({"<script>": 1}), "must be an object"),
    "x NaN": (_with_point({"x": math.nan}), r"stroke 1 point 5\.x must be finite"),
    "y inf": (_with_point({"y": math.inf}), r"\.y must be finite"),
    "t -inf": (_with_point({"t": -math.inf}), r"\.t must be finite"),
    "p NaN": (_with_point({"p": math.nan}), r"\.p must be finite"),
    "x huge int": (_with_point({"x": 10**400}), r"\.x must have at most 30 significant digits"),
    "t huge int": (_with_point({"t": -(10**400)}), r"\.t must have at most 30 significant digits"),
    "x tiny exponent": (_with_point({"x": Decimal("1e-999999999")}), r"\.x must have at most 30 sig"),
    "t huge exponent": (_with_point({"t": Decimal("1e999999999")}), r"\.t must have at most 30 sig"),
    "p 31 digits": (_with_point({"p": Decimal("0." + "1" * 31)}), r"\.p must have at most 30 sig"),
    "x Decimal NaN": (_with_point({"x": Decimal("NaN")}), r"\.x must be finite"),
    "y Decimal inf": (_with_point({"y": Decimal("-Infinity")}), r"\.y must be finite"),
    "p float subnormal": (_with_point({"p": 5e-324}), r"\.p must have at most 30 sig"),
    "x bool": (_with_point({"x": True}), r"\.x must be a number"),
    "p bool": (_with_point({"p": False}), r"\.p must be a number"),
    "x string": (_with_point({"x": "100"}), r"\.x must be a number"),
    "y None": (_with_point({"y": None}), r"\.y must be a number"),
    "t list": (_with_point({"t": [1]}), r"\.t must be a number"),
    "p None": (_with_point({"p": None}), r"\.p must be a number"),
    "x negative": (_with_point({"x": -0.1}), "outside the pad"),
    "y negative": (_with_point({"y": -1}), "outside the pad"),
    "x too large": (_with_point({"x": MAX_COORDINATE + 0.01}), "outside the pad"),
    "y too large": (_with_point({"y": 10**6}), "outside the pad"),
    "p negative": (_with_point({"p": -0.001}), "pressure"),
    "p above 1": (_with_point({"p": 1.001}), "pressure"),
    "p percent": (_with_point({"p": 50}), "pressure"),
    "time backwards in a stroke": (_with_point({"t": 0}), "time runs backwards"),
    "time backwards across strokes": (_with_point({"t": 1_600_000_000_000}, point=0), "time runs backwards"),
    "a single dot": ([[{"x": 100, "y": 100, "t": 0}]], "too short"),
    "a few dots": ([[{"x": 100 + 30 * i, "y": 100, "t": i}] for i in range(7)], "too short"),
    "tiny scribble": ([circle(9)], "too small"),
    "short straight line": ([line(50)], "too short"),
    "short line, many points": ([line(59, 200)], "too short"),
    "over ten minutes": ([line(200, 20)[:10], line(200, 20, t0=5000 + 600_001)[10:]], "10 minutes"),
}


@pytest.mark.parametrize(("strokes", "message"), [pytest.param(*v, id=k) for k, v in REFUSALS.items()])
def test_refusals(strokes: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        canonicalise(strokes)


def test_threshold_cases_are_close_calls() -> None:
    # The refused line and scribble are near the limits: slightly larger versions are accepted.
    assert canonicalise([line(61)])
    assert canonicalise([circle(12)])


def test_canonicalise_does_not_change_its_input() -> None:
    strokes = scribble(10)
    before = copy.deepcopy(strokes)
    canonicalise(strokes)
    assert strokes == before


# --- SVG -------------------------------------------------------------------------------------------------

_NUMBER = r"-?\d+(?:\.\d)?"
_PATH = re.compile(rf"M{_NUMBER} {_NUMBER}(?:(?: L{_NUMBER} {_NUMBER})+| l0\.1 0)")


def _svg_input() -> Any:
    strokes = scribble(11)
    strokes.append([{"x": 250.25, "y": 230.75, "t": strokes[-1][-1]["t"] + 100}])  # a dot over an i
    strokes.append(
        [
            {"x": MAX_COORDINATE, "y": 0.04, "t": strokes[-1][-1]["t"] + 100},
            {"x": 9999.95, "y": 0.05, "t": strokes[-1][-1]["t"] + 110},
        ]
    )
    return canonicalise(strokes)


def test_svg_paths_are_numbers_and_m_l_commands_only() -> None:
    canon = _svg_input()
    paths = svg_paths(canon)
    assert len(paths) == len(canon)
    for d, stroke in zip(paths, canon, strict=True):
        assert _PATH.fullmatch(d), d
        numbers = [float(n) for n in re.findall(_NUMBER, d.replace("l0.1 0", ""))]
        expected = [c / 10 for pt in stroke for c in pt[:2]]
        assert numbers == pytest.approx(expected, abs=1e-9)
    assert paths[-2].endswith(" l0.1 0")


def test_svg_document_is_fixed_markup_around_numbers() -> None:
    canon = _svg_input()
    document = svg_document(canon)
    root = ET.fromstring(document)
    assert root.tag == f"{SVG}svg"
    assert root.attrib == {
        "viewBox": root.attrib["viewBox"],
        "fill": "none",
        "stroke": "#10243e",
        "stroke-width": "3",
        "stroke-linecap": "round",
        "stroke-linejoin": "round",
    }
    min_x, min_y, max_x, max_y = bounding_box(canon)
    box = [float(v) for v in root.attrib["viewBox"].split(" ")]
    assert box == pytest.approx([min_x - 6, min_y - 6, max_x - min_x + 12, max_y - min_y + 12], abs=1e-6)
    children = list(root)
    assert len(children) == len(canon)
    for child, d in zip(children, svg_paths(canon), strict=True):
        assert child.tag == f"{SVG}path"
        assert child.attrib == {"d": d}
        assert not child.text
        assert not child.tail
        assert not list(child)
    assert not root.text
    # Nothing but fixed markup, digits, spaces and path commands.
    stripped = re.sub(r'<path d="[-0-9. MLl]+"/>', "", document)
    assert re.fullmatch(
        r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="[-0-9. ]+" fill="none" '
        r'stroke="#10243e" stroke-width="3" stroke-linecap="round" '
        r'stroke-linejoin="round"></svg>',
        stripped,
    ), stripped


def test_svg_stroke_width_and_bounding_box() -> None:
    canon = canonicalise([line(100, x0=10, y0=20)])
    assert bounding_box(canon) == (10.0, 20.0, 110.0, 20.0)
    root = ET.fromstring(svg_document(canon, stroke_width=2.5))
    assert root.attrib["stroke-width"] == "2.5"
    assert root.attrib["viewBox"] == "5 15 110 10"


# --- Exact decimal rounding (FORMATS.md §5) ----------------------------------------------------------

FORMATS = (Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md").read_text("utf-8")

# The worked example of FORMATS.md §5, byte for byte.
EXAMPLE_RAW = (
    '[[{"x":1.15,"y":20.25,"t":0.7,"p":0.5015},{"x":30,"y":20.25,"t":8.2,"p":0.5},'
    '{"x":60.05,"y":20,"t":16.5},{"x":90,"y":20.35,"t":24.5,"p":1}],'
    '[{"x":1.5e2,"y":40,"t":200,"p":0.0005},{"x":150,"y":60.45,"t":208.25,"p":0.0015},'
    '{"x":150,"y":80,"t":216.3},{"x":0.25000000000000000001,"y":80,"t":300,"p":0.25}]]'
)
EXAMPLE_JCS = (
    b"[[[12,202,0,502],[300,202,8,500],[600,200,16,500],[900,204,24,1000]],"
    b"[[1500,400,199,0],[1500,604,208,2],[1500,800,216,500],[3,800,299,250]]]"
)
EXAMPLE_SHA256 = "b1b89da444df3d9abb8808bbf0338196098bfff8d360970a5e7db4f20b015ef5"


def parse_as_the_api_does(text: str) -> Any:
    """JSON numbers with a fraction or exponent as exact Decimals, as registry/api/body.py reads them."""
    return json.loads(text, parse_float=Decimal)


def test_worked_example_of_formats_md() -> None:
    canon = canonicalise(parse_as_the_api_does(EXAMPLE_RAW))
    assert strokes_bytes(canon) == EXAMPLE_JCS
    assert strokes_sha256(canon) == EXAMPLE_SHA256 == hashlib.sha256(EXAMPLE_JCS).hexdigest()
    for shown in (EXAMPLE_RAW, EXAMPLE_JCS.decode(), EXAMPLE_SHA256):
        assert shown in FORMATS.replace("\n", ""), shown[:40]
    # Binary floats would round three of these numbers the other way (the reason for the rule).
    binary = json.loads(EXAMPLE_RAW)
    t0 = binary[0][0]["t"]
    floats = [
        [
            [round(p["x"] * 10), round(p["y"] * 10), round(p["t"] - t0), round(p.get("p", 0.5) * 1000)]
            for p in s
        ]
        for s in binary
    ]
    differences = [
        (i, j, k)
        for i, s in enumerate(canon)
        for j, pt in enumerate(s)
        for k in range(4)
        if pt[k] != floats[i][j][k]
    ]
    assert differences == [(0, 0, 3), (0, 1, 2), (1, 3, 0)]  # p 0.5015, t 8.2 − 0.7, x 0.2500…01
    assert floats[0][0][3] == 501 and floats[0][1][2] == 7 and floats[1][3][0] == 2


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("1.15", 1, 12),  # 11.5: a tie, to even
        ("1.25", 1, 12),  # 12.5: a tie, to even (down)
        ("1.35", 1, 14),
        ("20.25", 1, 202),
        ("0.25000000000000000001", 1, 3),  # just above the tie: digits a double cannot hold count
        ("0.24999999999999999999", 1, 2),
        ("0.5015", 3, 502),  # 501.5 exactly; a double gives 501.49999999999994
        ("0.0005", 3, 0),
        ("0.0015", 3, 2),
        ("1.5e2", 1, 1500),
        ("15E1", 1, 1500),
        ("0.115e1", 1, 12),
        ("1.150", 1, 12),
        ("115e-2", 1, 12),
        ("-0.0", 1, 0),
        ("0e5", 3, 0),
        ("1e-30", 3, 0),
        ("9999.95", 1, 100000),  # 99999.5: to even, up
        ("9999.85", 1, 99998),  # 99998.5: to even, down
    ],
)
def test_exact_decimal_half_to_even(text: str, scale: int, expected: int) -> None:
    value = exact_number(Decimal(text), "x")
    assert value == Fraction(text)  # Fraction parses the decimal text exactly
    assert round(Fraction(text) * 10**scale) == expected  # Fraction's round: half to even
    point = {"x": 100, "y": 100, "t": 0}
    if scale == 1:
        point["x"] = Decimal(text)
    else:
        point["p"] = Decimal(text)
    strokes = [[point, *line(200, 9, t0=1)[1:]]]
    assert canonicalise(strokes)[0][0][0 if scale == 1 else 3] == expected


def test_a_python_float_counts_as_its_shortest_text() -> None:
    # What json.dumps would send for it: the API and a direct service call agree.
    for number in (1.15, 0.5015, 20.25, 1e-7, 1726110900123.456):
        assert exact_number(number, "x") == Decimal(repr(number)) == Decimal(json.dumps(number))
    assert exact_number(0.1 + 0.2, "x") == Decimal("0.30000000000000004")
    raw = scribble(12)
    assert canonicalise(raw) == canonicalise(parse_as_the_api_does(json.dumps(raw)))


def test_digit_and_exponent_limits_are_inclusive() -> None:
    digits, exponent = MAX_SIGNIFICANT_DIGITS, MAX_EXPONENT
    assert (digits, exponent) == (30, 30)
    accepted = [
        "0." + "1" * 30,  # 30 significant digits, e = -30
        "1" * 30,  # 30 digits, e = 0
        "1e30",
        "1E-30",
        "1" * 30 + "e30",  # the largest accepted magnitude: m = 10^30 - 1 … e = 30
        "1.000000000000000000000000000000000000000000000000",  # trailing zeros are not significant
        "100000000000000000000000000000000000000e-38",  # m = 1, e = 0
        "0.00000000000000000000000000000000000001e8",  # m = 1, e = -30
    ]
    for text in accepted:
        assert exact_number(Decimal(text), "x") == Fraction(text), text
    refused = [
        "0." + "1" * 31,
        "1" * 31,
        "1e31",
        "1e-31",
        "1" * 30 + "e31",
        "1e999999999",
        "1e-999999999",
        "-1e-999999999",
    ]
    for text in refused:
        with pytest.raises(
            FormatError, match=r"^stroke 0 point 0\.x must have at most 30 significant digits "
        ):
            exact_number(Decimal(text), "stroke 0 point 0.x")
    # Integers follow the same rule: 123 × 10^30 is m = 123, e = 30; 10^31 has e = 31.
    assert exact_number(123 * 10**30, "x") == 123 * 10**30
    for number in (10**31, 10**59, 10**60, -(10**4000), 10**30 + 1 + 10**31):
        with pytest.raises(FormatError, match="at most 30 significant digits"):
            exact_number(number, "x")


# --- The first point's time -------------------------------------------------------------------------------


def test_times_count_from_the_first_point_of_the_first_stroke() -> None:
    first = line(100, 5, t0=1000)  # t 1000 … 1040
    second = line(100, 5, y0=150, t0=5000)  # a 3960 ms pause, then t 5000 … 5040
    canon = canonicalise([first, second])
    assert [pt[2] for pt in canon[0]] == [0, 10, 20, 30, 40]
    assert [pt[2] for pt in canon[1]] == [4000, 4010, 4020, 4030, 4040]  # not restarted per stroke


def test_negative_and_equal_times_are_accepted_backwards_is_not() -> None:
    strokes = line(100, 10, t0=-50)  # a clock before its epoch: only differences matter
    assert [pt[2] for pt in canonicalise([strokes])[0]] == [10 * i for i in range(10)]
    strokes[4]["t"] = strokes[3]["t"]  # two points in the same millisecond
    assert canonicalise([strokes])[0][4][2] == 30
    strokes[4]["t"] = Decimal(strokes[3]["t"]) - Decimal("0.001")
    with pytest.raises(FormatError, match=r"^stroke 0 point 4: time runs backwards$"):
        canonicalise([strokes])
    across = [line(100, 5, t0=1000), line(100, 5, y0=150, t0=1039)]  # starts before the last point
    with pytest.raises(FormatError, match=r"^stroke 1 point 0: time runs backwards$"):
        canonicalise(across)


def test_backwards_is_judged_on_exact_values_not_rounded_ones() -> None:
    # 10.4 then 10.3 both round to 10, but the second is earlier: refused.
    strokes = line(100, 10, t0=0)
    strokes[1]["t"], strokes[2]["t"] = Decimal("10.4"), Decimal("10.3")
    with pytest.raises(FormatError, match="stroke 0 point 2: time runs backwards"):
        canonicalise([strokes])


def test_duration_limit_is_on_the_exact_difference() -> None:
    strokes = line(200, 10, t0=0)
    strokes[-1]["t"] = Decimal("600000")
    assert canonicalise([strokes])[0][-1][2] == 600_000
    strokes[-1]["t"] = Decimal("600000.0001")  # would round to 600000, but took longer
    with pytest.raises(FormatError, match="10 minutes"):
        canonicalise([strokes])
