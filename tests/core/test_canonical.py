"""canonical.py: RFC 8785 bytes, strict JSON, base64url and instants — the bytes Ikrar signs over."""

from __future__ import annotations

import base64
import json
import os
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.core.canonical import (
    MAX_SAFE_INTEGER,
    b64url_decode,
    b64url_encode,
    canonical_bytes,
    check_canonical_value,
    format_instant,
    nfc,
    parse_canonical,
    parse_instant,
    sha256_hex,
    strict_json_loads,
    truncate_to_millis,
)
from registry.core.errors import FormatError
from tests.conftest import vectors_dir

JCS_CASES = ["arrays", "french", "structures", "unicode", "values", "weird"]


# --- RFC 8785 vectors (cyberphone/json-canonicalization testdata) ------------------------------


def _jcs(name: str) -> tuple[bytes, bytes, bytes]:
    folder = vectors_dir("jcs")
    source = (folder / "input" / f"{name}.json").read_bytes()
    expected = (folder / "output" / f"{name}.json").read_bytes()
    outhex = bytes.fromhex((folder / "outhex" / f"{name}.txt").read_text(encoding="ascii"))
    return source, expected, outhex


def _signable(value: Any) -> bool:
    """Whether Ikrar may sign ``value``: no floats, only NFC text (keys included)."""
    if isinstance(value, float):
        return False
    if isinstance(value, str):
        return unicodedata.is_normalized("NFC", value)
    if isinstance(value, list):
        return all(_signable(v) for v in value)
    if isinstance(value, dict):
        return all(_signable(k) and _signable(v) for k, v in value.items())
    return True


def test_every_jcs_case_is_listed() -> None:
    folder = vectors_dir("jcs")
    assert sorted(p.stem for p in (folder / "input").glob("*.json")) == JCS_CASES
    assert sorted(p.stem for p in (folder / "output").glob("*.json")) == JCS_CASES
    assert sorted(p.stem for p in (folder / "outhex").glob("*.txt")) == JCS_CASES


@pytest.mark.parametrize("name", JCS_CASES)
def test_rfc8785_library_matches_jcs_vectors(name: str) -> None:
    source, expected, outhex = _jcs(name)
    assert expected == outhex
    assert rfc8785.dumps(json.loads(source)) == expected


@pytest.mark.parametrize("name", JCS_CASES)
def test_canonical_bytes_on_jcs_vectors(name: str) -> None:
    source, expected, _ = _jcs(name)
    value = strict_json_loads(source)
    if _signable(value):
        assert canonical_bytes(value) == expected
        assert parse_canonical(expected) == value
    else:
        with pytest.raises(FormatError, match=r"floating-point|NFC"):
            canonical_bytes(value)


def test_jcs_vectors_exercise_both_outcomes() -> None:
    verdicts = {name: _signable(strict_json_loads(_jcs(name)[0])) for name in JCS_CASES}
    assert set(verdicts.values()) == {True, False}, verdicts


# --- strict_json_loads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"x": {"b": 1, "b": 1}}', "duplicate key 'b'"),
        ('[{"k": 1}, {"k": 2, "k": 3}]', "duplicate key 'k'"),
        ("NaN", "NaN is not valid JSON"),
        ('{"a": NaN}', "NaN is not valid JSON"),
        ("[Infinity]", "Infinity is not valid JSON"),
        ("[-Infinity]", "-Infinity is not valid JSON"),
        ("{'a': 1}", "malformed JSON"),
        ("[1,]", "malformed JSON"),
        ("", "malformed JSON"),
        ('{"a": 1} x', "malformed JSON: Extra data"),
    ],
)
def test_strict_json_loads_refuses(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=f"^{re.escape(message)}"):
        strict_json_loads(text)
    with pytest.raises(FormatError, match=f"^{re.escape(message)}"):
        strict_json_loads(text.encode("utf-8"))


@pytest.mark.parametrize(
    "data",
    [b'"\xff"', b'"\xc3"', b'"\xed\xa0\x80"', b'{"a": "\xe9t\xe9"}', b"\xfe\xff\x00[\x00]"],
)
def test_strict_json_loads_refuses_invalid_utf8(data: bytes) -> None:
    with pytest.raises(FormatError, match=r"^JSON text is not valid UTF-8$"):
        strict_json_loads(data)


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_strict_json_loads_refuses_deep_nesting(opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    depth = 100_000
    with pytest.raises(FormatError, match=r"^JSON nested too deeply$"):
        strict_json_loads(opener * depth + "1" * (opener != "[") + closer * depth)


def test_strict_json_loads_accepts_ordinary_json() -> None:
    assert strict_json_loads(b'{"a": [1, "x", null, true], "b": {"c": -5}}') == {
        "a": [1, "x", None, True],
        "b": {"c": -5},
    }
    assert strict_json_loads("[]") == []
    # The same key in two different objects is not a duplicate.
    assert strict_json_loads('[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]


# --- canonical_bytes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.0, "floating-point"),
        (0.5, "floating-point"),
        (-0.0, "floating-point"),
        (float("nan"), "floating-point"),
        (float("inf"), "floating-point"),
        ({"a": [1, {"b": 2.5}]}, r"\$\.a\[1\]\.b: floating-point"),
        (MAX_SAFE_INTEGER + 1, "integer outside"),
        (-MAX_SAFE_INTEGER - 1, "integer outside"),
        (2**64, "integer outside"),
        ({"n": [2**53]}, r"\$\.n\[0\]: integer outside"),
        ("De\u0301de\u0301", "NFC"),
        ({"name": "A\u030a"}, r"\$\.name: text is not in Unicode NFC"),
        ({"e\u0301": 1}, "NFC"),
        ({1: "a"}, "keys must be text"),
        ({None: "a"}, "keys must be text"),
        ({("a",): 1}, "keys must be text"),
        (b"bytes", "bytes cannot be signed"),
        (bytearray(b"x"), "bytearray cannot be signed"),
        (datetime(2024, 1, 1, tzinfo=UTC), "datetime cannot be signed"),
        (Decimal("1"), "Decimal cannot be signed"),
        ({1, 2}, "set cannot be signed"),
        (object(), "object cannot be signed"),
        ("\ud800", "lone surrogate"),
        ({"k": "a\udfffb"}, "lone surrogate"),
    ],
)
def test_canonical_bytes_refuses(value: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        canonical_bytes(value)


@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 0, True, False, None])
def test_canonical_bytes_accepts_safe_scalars(value: Any) -> None:
    assert canonical_bytes(value) == json.dumps(value).encode("ascii")


def test_canonical_bytes_basic_form() -> None:
    value = {"b": [1, "é", None], "a": {"z": True, "y": '\u20ac\n"\\'}}
    assert canonical_bytes(value) == '{"a":{"y":"€\\n\\"\\\\","z":true},"b":[1,"é",null]}'.encode()
    # Tuples are arrays; the result does not depend on insertion order.
    assert canonical_bytes({"a": (1, 2), "b": 0}) == canonical_bytes({"b": 0, "a": [1, 2]})


def test_nfd_and_nfc_differ_in_bytes_and_nfc_is_signable() -> None:
    nfd = "De\u0301de\u0301"
    assert len(nfd.encode()) == 8
    assert len(nfc(nfd).encode()) == 6
    assert nfc(nfd) == "D\u00e9d\u00e9"
    assert canonical_bytes({"name": nfc(nfd)}) == '{"name":"Dédé"}'.encode()
    with pytest.raises(FormatError):
        check_canonical_value({"name": nfd})


def test_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 is D83D DE00 in UTF-16 and sorts before U+FFFD; by code point it would sort after.
    value = {"\U0001f600": 1, "\ufffd": 2, "a": 3}
    out = canonical_bytes(value)
    assert out == '{"a":3,"\U0001f600":1,"\ufffd":2}'.encode()
    assert out != json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- parse_canonical ---------------------------------------------------------------------------


def test_parse_canonical_accepts_canonical_bytes() -> None:
    data = b'{"a":[1,"\\u000f",null],"b":"\xc3\xa9"}'
    assert parse_canonical(data) == {"a": [1, "\x0f", None], "b": "é"}


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',  # whitespace
        b'{"a":1} ',
        b' {"a":1}',
        b'{"a":1}\n',
        b'{"b":1,"a":2}',  # key order
        b'{"\\u0041":1}',  # escaped letter
        b'"\\u0041"',
        b'"\\u00e9"',  # escaped non-ASCII
        b'"\\/"',  # needless escape
        b"[1.0]",  # floats are never canonical here
        b"[1e2]",
        b"[-0]",
        b"[01]",
        b'"e\xcc\x81"',  # NFD text
        b'{"a":1,"a":1}',  # duplicate key, although its canonical form would be shorter
        b'"\\ud800"',  # lone surrogate
    ],
)
def test_parse_canonical_refuses_other_spellings(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_canonical(data)


# --- base64url ---------------------------------------------------------------------------------


@pytest.mark.parametrize("length", range(71))
def test_b64url_round_trip(length: int) -> None:
    data = bytes((i * 37 + length) % 256 for i in range(length))
    text = b64url_encode(data)
    assert not set(text) & set("=+/")
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert len(text) == (4 * length + 2) // 3
    assert b64url_decode(text) == data


def _non_canonical_spelling(data: bytes) -> str:
    """The base64url text of ``data`` with the lowest unused trailing bit set."""
    text = b64url_encode(data)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 1 byte left over uses 2 symbols (4 spare bits); 2 bytes use 3 symbols (2 spare bits).
    assert len(data) % 3 in (1, 2)
    last = alphabet.index(text[-1])
    return text[:-1] + alphabet[last | 1]


@pytest.mark.parametrize("data", [b"\x00", b"\xff", b"ab", b"\x00\x00", b"hello", b"\x01" * 32])
def test_b64url_refuses_non_canonical_trailing_bits(data: bytes) -> None:
    text = _non_canonical_spelling(data)
    assert text != b64url_encode(data)
    # The permissive decoder reads it as the same bytes: a second spelling.
    assert base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)) == data
    with pytest.raises(FormatError, match="not canonical"):
        b64url_decode(text)


def test_b64url_known_non_canonical_pair() -> None:
    assert b64url_decode("AA") == b"\x00"
    with pytest.raises(FormatError, match="not canonical"):
        b64url_decode("AB")


@pytest.mark.parametrize(
    "text",
    [
        "AA==",
        "AAA=",
        "AA=",
        "=",
        "+w",
        "/w",
        "a+b/",
        "AA AA",
        " AAAA",
        "AAAA\n",
        "AA\tA",
        "AAAA.",
        "Zm9v\u00e9",
        "ＡＡＡＡ",
    ],
)
def test_b64url_refuses_other_alphabets(text: str) -> None:
    with pytest.raises(FormatError, match="not base64url text"):
        b64url_decode(text)


@pytest.mark.parametrize("length", [1, 5, 9, 41])
def test_b64url_refuses_impossible_length(length: int) -> None:
    with pytest.raises(FormatError, match="impossible length"):
        b64url_decode("A" * length)


@pytest.mark.parametrize("value", [b"AAAA", None, 1234])
def test_b64url_refuses_non_text(value: Any) -> None:
    with pytest.raises(FormatError):
        b64url_decode(value)


# --- instants ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 9, 12, 3, 15, 0, 123000, tzinfo=UTC),
        datetime(2024, 9, 12, 3, 15, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(2024, 2, 29, 0, 0, tzinfo=UTC),
        datetime(2024, 9, 12, 10, 15, 0, 500000, tzinfo=timezone(timedelta(hours=7))),
    ],
)
def test_instant_round_trip(moment: datetime) -> None:
    text = format_instant(moment)
    back = parse_instant(text)
    assert back == moment
    assert back.tzinfo is UTC
    assert format_instant(back) == text


def test_format_instant_form_and_truncation() -> None:
    jakarta = timezone(timedelta(hours=7))
    local = datetime(2024, 9, 12, 10, 15, 0, 123456, tzinfo=jakarta)
    assert format_instant(local) == "2024-09-12T03:15:00.123Z"
    assert format_instant(datetime(2024, 9, 12, 3, 15, tzinfo=UTC)) == "2024-09-12T03:15:00.000Z"
    moment = datetime(2024, 9, 12, 3, 15, 0, 999999, tzinfo=UTC)
    assert truncate_to_millis(moment) == datetime(2024, 9, 12, 3, 15, 0, 999000, tzinfo=UTC)
    assert parse_instant(format_instant(moment)) == truncate_to_millis(moment)


def test_format_instant_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_instant(datetime(2024, 9, 12, 3, 15))


@pytest.mark.parametrize(
    "text",
    [
        "2024-09-12T03:15:00Z",
        "2024-09-12T03:15:00.123+07:00",
        "2024-09-12T03:15:00.123+00:00",
        "2024-09-12T03:15:00.123z",
        "2024-09-12t03:15:00.123Z",
        "2024-09-12 03:15:00.123Z",
        "2024-09-12T03:15:00.123456Z",
        "2024-09-12T03:15:00.12Z",
        "2024-09-12T03:15:00.123",
        "2024-09-12T03:15:00.123Z\n",
        " 2024-09-12T03:15:00.123Z",
        "2024-9-12T03:15:00.123Z",
        "2024-13-12T03:15:00.123Z",
        "2024-02-30T03:15:00.123Z",
        "2023-02-29T00:00:00.000Z",
        "2024-09-12T24:00:00.000Z",
        "2024-09-12T03:60:00.000Z",
        "２０２４-09-12T03:15:00.123Z",  # fullwidth digits
        "٢٠٢٤-09-12T03:15:00.123Z",  # Arabic-Indic digits
        "",
    ],
)
def test_parse_instant_refuses_other_forms(text: str) -> None:
    with pytest.raises(FormatError):
        parse_instant(text)


@pytest.mark.parametrize("value", [None, 1726110900, b"2024-09-12T03:15:00.123Z"])
def test_parse_instant_refuses_non_text(value: Any) -> None:
    with pytest.raises(FormatError):
        parse_instant(value)


def test_vectors_ship_with_the_repository_with_their_licences() -> None:
    # A fresh clone runs every vector test: the default folder is inside the checkout, and each
    # vendored set keeps its upstream licence and is described (upstream, commit) in the README.
    repo = Path(__file__).resolve().parents[2]
    vendored = repo / "tests" / "vectors"
    provenance = (vendored / "README.md").read_text(encoding="utf-8")
    for name in ("jcs", "wycheproof", "merkle-testdata"):
        assert (vendored / name / "LICENSE").is_file(), name
        assert f"## {name}/" in provenance, name
    assert len(re.findall(r"commit\s+`[0-9a-f]{40}`", provenance)) == 3
    if "IKRAR_VECTORS" not in os.environ:
        assert vectors_dir("jcs") == vendored / "jcs"


# --- the standard-library fast path must equal the rfc8785 library, byte for byte ------------------

_nfc_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12).map(
    lambda text: unicodedata.normalize("NFC", text)
)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | _nfc_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_nfc_text | st.sampled_from(["a", "id", "kid", "type"]), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=1500, deadline=None)
@given(_json_values)
def test_canonical_bytes_equals_the_rfc8785_library(value: Any) -> None:
    # Control characters, quotes, backslashes, U+2028, astral characters and non-ASCII keys
    # (which take the library path) are all in the alphabet.
    assert canonical_bytes(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"s": "".join(chr(c) for c in range(0x20)) + '"\\/\x7f\u2028\u2029\ufeff'},
        {"é": 1, "e": 2, "\U0001f600": 3, "\ufffd": 4},
        {"a": [{"é": {"b": 1}}, {"c": "\u00e9"}]},
        {"nested": {"z": [1, -1, 0, MAX_SAFE_INTEGER], "a": None}},
    ],
)
def test_canonical_bytes_equals_the_library_on_edge_cases(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def _slow_parse(data: bytes) -> Any:
    value = strict_json_loads(data)
    if canonical_bytes(value) != data:
        raise FormatError("not canonical")
    return value


_ascii_spellings = st.one_of(
    _json_values.map(lambda v: json.dumps(v, ensure_ascii=True, sort_keys=True, separators=(",", ":"))),
    _json_values.map(lambda v: json.dumps(v, ensure_ascii=True)),
    _json_values.map(lambda v: json.dumps(v, ensure_ascii=True, separators=(",", ":"))),
    st.sampled_from(
        [
            '{"a":1,"a":1}',
            '{"a":1.0}',
            '{"a":-0}',
            '{"a":9007199254740992}',
            '{"a":"\\ud800"}',
            '{"a":"\\u00e9"}',
            '{"a":"\\u001f"}',
            '{"a":"\\/"}',
            '{"a":NaN}',
            "[1e2]",
            '"\\u0065"',
            '{"b":1,"a":2}',
        ]
    ),
).map(lambda text: text.encode("ascii"))


@settings(max_examples=1500, deadline=None)
@given(_ascii_spellings)
def test_parse_canonical_ascii_fast_path_agrees_with_the_library_path(data: bytes) -> None:
    try:
        expected = _slow_parse(data)
    except FormatError:
        with pytest.raises(FormatError):
            parse_canonical(data)
        return
    assert parse_canonical(data) == expected
