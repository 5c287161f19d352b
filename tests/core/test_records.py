"""records.py: the shape of an ikrar.signature.v1 record, its seal, and verification against the ring."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.core import codes
from registry.core.canonical import b64url_decode, b64url_encode, canonical_bytes, format_instant, sha256_hex
from registry.core.errors import FormatError, VerificationError
from registry.core.keys import KeyRing, Signer, VerifyingKey
from registry.core.records import RECORD_TYPE, SignedRecord, check_record_shape, sign_record, verify_record

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SIGNED_AT = datetime(2024, 9, 12, 3, 15, 0, 123000, tzinfo=UTC)
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(b"\x11" * 32))
OTHER = Signer(Ed25519PrivateKey.from_private_bytes(b"\x22" * 32))


def key(signer: Signer, purpose: str = "record", **kw: Any) -> VerifyingKey:
    kw.setdefault("status", "active")
    kw.setdefault("not_before", T0)
    return VerifyingKey(kid=signer.kid, public_key=signer.public_key, purpose=purpose, **kw)


RING = KeyRing([key(SIGNER), key(OTHER)])


def hex64(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def make_record(signer: Signer = SIGNER, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": RECORD_TYPE,
        "id": base64.b32encode(hashlib.sha256(b"record-1").digest()[:16]).decode().rstrip("=").lower(),
        "code": codes.new_code(),
        "commitment": {"id": "pakta-integritas-2024", "version": 3, "text_sha256": hex64("text")},
        "signatory": {
            "name": "Dédé Suryani",
            "position": "Kepala Bagian Keuangan",
            "institution": "PT Maju & Jaya <Tbk>",
            "category": "Pejabat",
        },
        "dimensions": ["anti-korupsi", "transparansi", "konflik_kepentingan"],
        "consent": {"text_sha256": hex64("consent"), "public_display": True},
        "handwriting": {"strokes_sha256": hex64("strokes")},
        "signed_at": format_instant(SIGNED_AT),
        "claimed_at": format_instant(SIGNED_AT - timedelta(hours=2)),
        "operator": "operator-7",
        "device": "kiosk-lobby-1",
        "kid": signer.kid,
    }
    record.update(changes)
    return record


def test_valid_record_signs_and_verifies() -> None:
    record = make_record()
    assert len(record["id"]) == 26
    check_record_shape(record)
    signed = sign_record(record, SIGNER)
    assert isinstance(signed, SignedRecord)
    assert signed.canonical == canonical_bytes(record)
    assert signed.sha256 == sha256_hex(signed.canonical)
    assert signed.kid == SIGNER.kid
    assert b64url_decode(signed.signature) == SIGNER.sign(signed.canonical)
    back, verifying = verify_record(signed.canonical, signed.signature, RING)
    assert verifying is RING[SIGNER.kid]
    assert back == signed
    assert back.record == record


@pytest.mark.parametrize(
    "changes",
    [
        {"claimed_at": None},
        {"operator": None, "device": None},
        {"dimensions": ["a"]},
        {"consent": {"text_sha256": hex64("c"), "public_display": False}},
        {"commitment": {"id": "abc", "version": 1, "text_sha256": hex64("t")}},
    ],
)
def test_valid_variants(changes: dict[str, Any]) -> None:
    record = make_record(**changes)
    signed = sign_record(record, SIGNER)
    assert verify_record(signed.canonical, signed.signature, RING)[0].record == record


def test_every_bit_flip_of_the_record_is_refused() -> None:
    signed = sign_record(make_record(), SIGNER)
    data = signed.canonical
    assert 400 < len(data) < 1200
    for i in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[i] ^= 1 << bit
            with pytest.raises(VerificationError):
                verify_record(bytes(flipped), signed.signature, RING)


def test_every_bit_flip_of_the_signature_is_refused() -> None:
    signed = sign_record(make_record(), SIGNER)
    raw = b64url_decode(signed.signature)
    assert len(raw) == 64
    for i in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(VerificationError):
            verify_record(signed.canonical, b64url_encode(bytes(flipped)), RING)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "AAAA",
        "not base64!",
        "=",
        lambda s: s + "=",
        lambda s: s[:-1],
        lambda s: s + "A",
        lambda s: "+" + s[1:],
        lambda s: "/" + s[1:],
        lambda s: s[:40] + " " + s[40:],
    ],
)
def test_malformed_signature_text_is_refused(signature: Any) -> None:
    signed = sign_record(make_record(), SIGNER)
    text = signature(signed.signature) if callable(signature) else signature
    with pytest.raises(VerificationError):
        verify_record(signed.canonical, text, RING)


def test_retired_key_verifies_only_inside_its_window() -> None:
    not_after = SIGNED_AT + timedelta(days=1)
    ring = KeyRing([key(SIGNER, status="retired", not_after=not_after)])
    inside = sign_record(make_record(), SIGNER)
    assert verify_record(inside.canonical, inside.signature, ring)[1].status == "retired"
    for moment in (not_after, not_after + timedelta(days=30), T0 - timedelta(milliseconds=1)):
        late = sign_record(make_record(signed_at=format_instant(moment)), SIGNER)
        with pytest.raises(VerificationError, match="not valid at"):
            verify_record(late.canonical, late.signature, ring)


def test_record_naming_another_key_of_the_ring_is_refused() -> None:
    record = make_record(kid=OTHER.kid)
    canonical = canonical_bytes(record)
    signature = b64url_encode(SIGNER.sign(canonical))
    with pytest.raises(VerificationError, match=f"does not verify with key {OTHER.kid}"):
        verify_record(canonical, signature, RING)


def test_record_signed_with_a_log_key_is_refused() -> None:
    ring = KeyRing([key(SIGNER, "log")])
    signed = sign_record(make_record(), SIGNER)
    with pytest.raises(VerificationError, match="not a record key"):
        verify_record(signed.canonical, signed.signature, ring)


def test_verify_record_never_uses_a_key_outside_the_ring() -> None:
    signed = sign_record(make_record(), SIGNER)
    with pytest.raises(VerificationError, match="not in the key ring"):
        verify_record(signed.canonical, signed.signature, KeyRing([]))
    with pytest.raises(VerificationError, match="not in the key ring"):
        verify_record(signed.canonical, signed.signature, KeyRing([key(OTHER)]))


def test_non_canonical_bytes_are_refused_even_with_a_valid_signature() -> None:
    record = make_record()
    for data in (
        json.dumps(record).encode(),
        json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        .encode()
        .replace(b'"D\xc3\xa9d', b'"D\\u00e9d'),
        canonical_bytes(record) + b"\n",
    ):
        assert data != canonical_bytes(record)
        with pytest.raises(VerificationError, match="malformed record"):
            verify_record(data, b64url_encode(SIGNER.sign(data)), RING)


def test_nfd_text_cannot_be_signed() -> None:
    nfd = unicodedata.normalize("NFD", "Dédé Suryani")
    assert nfd != "Dédé Suryani"
    for field in ("name", "position", "institution", "category"):
        record = make_record()
        record["signatory"][field] = nfd
        check_record_shape(record)  # the shape is fine; the text form is not
        with pytest.raises(FormatError, match="NFC"):
            sign_record(record, SIGNER)
    with pytest.raises(FormatError, match="NFC"):
        sign_record(make_record(operator=nfd), SIGNER)


def test_record_kid_must_be_the_signers() -> None:
    with pytest.raises(FormatError, match="signing key's id"):
        sign_record(make_record(kid=OTHER.kid), SIGNER)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _replaced(path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    record = make_record()
    target: Any = record
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return record


LEAVES = list(_leaves(make_record()))


def _refused(record: Any, match: str | None = None) -> None:
    with pytest.raises(FormatError, match=match):
        check_record_shape(record)
    with pytest.raises(FormatError, match=match):
        sign_record(record, SIGNER)


@pytest.mark.parametrize("path", [pytest.param(p, id=".".join(map(str, p))) for p in LEAVES])
@pytest.mark.parametrize("number", [1.0, 0.5, float("nan")])
def test_float_anywhere_is_refused(path: tuple[Any, ...], number: float) -> None:
    _refused(_replaced(path, number))


def test_leaves_cover_every_field() -> None:
    assert len(LEAVES) == 21
    assert {p[0] for p in LEAVES} == set(make_record())


@pytest.mark.parametrize("field", sorted(make_record()))
def test_missing_field_is_refused(field: str) -> None:
    record = make_record()
    del record[field]
    _refused(record, f"missing \\['{field}'\\]")


@pytest.mark.parametrize("extra", ["signature", "Type", "note", ""])
def test_extra_field_is_refused(extra: str) -> None:
    _refused(make_record() | {extra: "x"}, f"unexpected \\['{extra}'\\]")


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("commitment", "id"),
        ("commitment", "version"),
        ("commitment", "text_sha256"),
        ("signatory", "name"),
        ("signatory", "category"),
        ("consent", "public_display"),
        ("handwriting", "strokes_sha256"),
    ],
)
def test_missing_or_extra_nested_field_is_refused(outer: str, inner: str) -> None:
    record = make_record()
    del record[outer][inner]
    _refused(record, f"record.{outer}")
    record = make_record()
    record[outer]["extra"] = "x"
    _refused(record, f"record.{outer}")


WRONG = {
    "type": ["ikrar.signature.v2", "", None, ["ikrar.signature.v1"]],
    "id": ["A" * 26, "a" * 25, "a" * 27, "a" * 25 + "1", "a" * 25 + "8", None, 26],
    "code": ["", "ABC", 12345678901, None, "U" * 11],
    "commitment.id": ["A-b", "a", "-abc", "abc-", "abc_def", None, 1],
    "commitment.version": [0, -1, "1", True, None],
    "commitment.text_sha256": [hex64("t").upper(), hex64("t")[:-1], hex64("t") + "0", "g" * 64, None],
    "signatory.name": ["", None, 1, ["Dédé"], True],
    "signatory.institution": ["", None],
    "dimensions": [[], "anti-korupsi", ["a", "a"], ["A"], ["-a"], [""], [1], None, ["a" * 65]],
    "consent.text_sha256": ["", None, "0" * 63],
    "consent.public_display": [1, 0, "true", None],
    "handwriting.strokes_sha256": ["", None, "0" * 65],
    "handwriting": [None, "x", []],
    "signed_at": [None, "", "2024-09-12T03:15:00Z", "2024-09-12T10:15:00.000+07:00", 1726110900],
    "claimed_at": ["", "yesterday", 0, "2024-09-12"],
    "operator": ["", 7, ["op"], False],
    "device": ["", 0],
    "kid": ["", None, 1],
    "signatory": [None, "Dédé", []],
    "consent": [None, True],
    "commitment": [None, "pakta"],
}


@pytest.mark.parametrize(
    ("path", "value"),
    [pytest.param(p, v, id=f"{p}={v!r}"[:60]) for p, values in WRONG.items() for v in values],
)
def test_wrong_value_is_refused(path: str, value: Any) -> None:
    steps = tuple(path.split("."))
    _refused(_replaced(steps, value))


@pytest.mark.parametrize("record", [None, [], "record", 1, json.dumps(make_record())])
def test_record_that_is_not_an_object_is_refused(record: Any) -> None:
    _refused(record, "JSON object")


def test_sign_record_does_not_change_its_input() -> None:
    record = make_record()
    before = copy.deepcopy(record)
    sign_record(record, SIGNER)
    assert record == before


def test_code_must_be_in_compact_form() -> None:
    code = "01ABCDEFGH" + codes._check_symbol("01ABCDEFGH")
    assert verify_record(*_sealed(make_record(code=code)), RING)[0].record["code"] == code
    aliased = "OI" + code[2:]
    for spelling in (code.lower(), codes.display_code(code), f"{code[:5]} {code[5:]}", aliased, code + " "):
        assert codes.normalise_code(spelling) == code  # a reader would accept it...
        _refused(make_record(code=spelling), "compact")  # ...but it is never signed that way
        with pytest.raises(VerificationError, match="compact"):
            verify_record(*_sealed(make_record(code=spelling)), RING)


def _sealed(record: dict[str, Any]) -> tuple[bytes, str]:
    """Canonical bytes and signature made directly with the key, bypassing sign_record's checks."""
    canonical = canonical_bytes(record)
    return canonical, b64url_encode(SIGNER.sign(canonical))
