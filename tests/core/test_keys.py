"""keys.py and keystore.py: Wycheproof, small-order keys, RFC 8037 answers, JWKs, the ring, key files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.core.canonical import b64url_decode, b64url_encode, strict_json_loads
from registry.core.errors import IkrarError, KeyRingError, VerificationError
from registry.core.keys import (
    KeyRing,
    Signer,
    VerifyingKey,
    check_public_key,
    decrypt_private_key,
    encrypt_private_key,
    key_id,
    raw_public_key,
)
from registry.core.keystore import KeyDirectory, read_passphrase
from tests.conftest import VECTORS, vectors_dir

LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
PASSPHRASE = b"correct horse battery staple"


def verifying_key(raw: bytes, purpose: str = "record", **kw: Any) -> VerifyingKey:
    kw.setdefault("status", "active")
    kw.setdefault("not_before", LONG_AGO)
    return VerifyingKey(kid=key_id(raw), public_key=raw, purpose=purpose, **kw)


@cache
def signers() -> tuple[Signer, ...]:
    # Fixed seeds: deterministic keys, cheap to build.
    return tuple(Signer(Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32)) for i in range(1, 5))


# --- Wycheproof ---------------------------------------------------------------------------------


@cache
def wycheproof() -> dict[str, Any]:
    return json.loads((vectors_dir("wycheproof") / "ed25519_test.json").read_bytes())


def _wycheproof_ids() -> list[Any]:
    # When the vectors are absent, one placeholder case lets vectors_dir fail the run loudly.
    path = VECTORS / "wycheproof" / "ed25519_test.json"
    if not path.is_file():
        return [pytest.param(None, id="vectors-missing")]
    data = json.loads(path.read_bytes())
    return [pytest.param(tc["tcId"], id=f"tc{tc['tcId']}") for g in data["testGroups"] for tc in g["tests"]]


@cache
def wycheproof_cases() -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    return {tc["tcId"]: (group, tc) for group in wycheproof()["testGroups"] for tc in group["tests"]}


def test_wycheproof_file_is_the_expected_one() -> None:
    data = wycheproof()
    assert data["algorithm"] == "EDDSA"
    tests = [tc for g in data["testGroups"] for tc in g["tests"]]
    assert len(tests) == data["numberOfTests"] == len({tc["tcId"] for tc in tests})
    assert {tc["result"] for tc in tests} == {"valid", "invalid"}
    assert all(g["publicKey"]["curve"] == "edwards25519" for g in data["testGroups"])


@pytest.mark.parametrize("tc_id", _wycheproof_ids())
def test_wycheproof(tc_id: int | None) -> None:
    cases = wycheproof_cases()  # vectors_dir fails when the vendored vectors are absent
    group, case = cases[tc_id]
    pk = bytes.fromhex(group["publicKey"]["pk"])
    msg, sig = bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"])
    try:
        key = verifying_key(pk)
    except KeyRingError:
        # A key refused by check_public_key is a rejection; it must never hide a valid case.
        assert case["result"] == "invalid", f"valid case {tc_id} refused for its key"
        return
    ring = KeyRing([key])
    if case["result"] == "valid":
        assert ring.verify(key.kid, msg, sig, purpose="record", at=None) is key
    else:
        with pytest.raises(VerificationError):
            ring.verify(key.kid, msg, sig, purpose="record", at=None)


# --- Small-order public keys ----------------------------------------------------------------------

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
IDENTITY = (0, 1)


def _decode_point(raw: bytes) -> tuple[int, int]:
    """Decode an edwards25519 point (RFC 8032 §5.1.3), reducing a non-canonical y modulo p."""
    n = int.from_bytes(raw, "little")
    y, sign = (n & ((1 << 255) - 1)) % P, n >> 255
    xx = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    assert (x * x - xx) % P == 0, f"{raw.hex()} is not on the curve"
    if x and x % 2 != sign:
        x = P - x
    return x, y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P)


def _times8(point: tuple[int, int]) -> tuple[int, int]:
    for _ in range(3):
        point = _add(point, point)
    return point


def _le(n: int) -> bytes:
    return n.to_bytes(32, "little")


ORDER8_Y = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
# §2 rule 2: the five canonical y values (sign bit cleared) of the eight small-order points.
SMALL_ORDER = {
    "identity": _le(1),
    "zero (order 4)": _le(0),
    "order 8": ORDER8_Y,
    "order 8, -y": _le(P - int.from_bytes(ORDER8_Y, "little")),
    "p-1 (order 2)": _le(P - 1),
}


def _with_sign(raw: bytes) -> bytes:
    return raw[:31] + bytes([raw[31] | 0x80])


SMALL_ORDER_ENCODINGS = [pytest.param(raw, id=name) for name, raw in SMALL_ORDER.items()] + [
    pytest.param(_with_sign(raw), id=f"{name}, sign bit") for name, raw in SMALL_ORDER.items()
]


def test_small_order_list_is_exactly_the_eight_points() -> None:
    # Independent check of the list by curve arithmetic: each encoding is a point of order dividing 8,
    # and the five canonical y values with both signs cover exactly 8 distinct points.
    minus_y = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
    assert SMALL_ORDER["order 8, -y"].hex() == minus_y
    points = set()
    for raw in SMALL_ORDER.values():
        for encoding in (raw, _with_sign(raw)):
            point = _decode_point(encoding)
            assert _times8(point) == IDENTITY, encoding.hex()
            points.add(point)
    assert len(points) == 8
    # A real key is not of small order.
    assert _times8(_decode_point(signers()[0].public_key)) != IDENTITY


@pytest.mark.parametrize("raw", SMALL_ORDER_ENCODINGS)
def test_small_order_keys_are_refused(raw: bytes) -> None:
    with pytest.raises(KeyRingError, match="small-order point"):
        check_public_key(raw)
    with pytest.raises(KeyRingError, match="small-order point"):
        key_id(raw)


# §2 rule 1: every y from p to 2^255 − 1, with and without the sign bit. y = p and p + 1 are the
# non-canonical spellings of small-order points (0 and the identity); the others decode to points
# of large order under a reducing decoder, so no list of values could catch them: only y < p does.
NON_CANONICAL_Y = {"p": P, "p+1": P + 1, "p+3": P + 3, "2^255-1 (p+18)": 2**255 - 1}


@pytest.mark.parametrize("offset", range(19))
def test_every_non_canonical_key_is_refused(offset: int) -> None:
    assert P + offset <= 2**255 - 1
    for raw in (_le(P + offset), _with_sign(_le(P + offset))):
        with pytest.raises(KeyRingError, match=r"not canonically encoded \(y ≥ 2\^255−19\)"):
            check_public_key(raw)
        with pytest.raises(KeyRingError, match="not canonically encoded"):
            key_id(raw)


@pytest.mark.parametrize(("name", "y"), NON_CANONICAL_Y.items(), ids=NON_CANONICAL_Y)
def test_non_canonical_examples_of_formats_md(name: str, y: int) -> None:
    # The hex spellings FORMATS.md §2 gives as examples of rule 1.
    examples = {
        "p": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "p+1": "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "p+3": "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "2^255-1 (p+18)": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    }
    assert _le(y).hex() == examples[name]
    assert _with_sign(_le(y)).hex() == examples[name][:-2] + "ff"
    # A reducing decoder reads y - p: for p + 3 and 2^255 - 1 (y = 3, 18) a point of large order.
    if y >= P + 2:
        assert _times8(_decode_point(_le(y))) != IDENTITY


def test_the_largest_canonical_y_values_are_accepted() -> None:
    # y = p − 1 is of small order; p − 2 and below pass both rules if they are curve points.
    accepted = 0
    for y in range(P - 30, P - 1):
        raw = _le(y)
        try:
            _decode_point(raw)
        except AssertionError:
            continue  # not on the curve: no key has this encoding
        check_public_key(raw)
        check_public_key(_with_sign(raw))
        accepted += 1
    assert accepted > 0


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_public_key_of_wrong_size_is_refused(size: int) -> None:
    with pytest.raises(KeyRingError, match=f"not {size}"):
        check_public_key(b"\x09" * size)


def test_identity_key_forgery_is_accepted_by_no_path() -> None:
    pk = _le(1)
    forged = _le(1) + bytes(32)  # R = identity, S = 0: "valid" for every message under pk
    members = f'{{"crv":"Ed25519","kty":"OKP","x":"{b64url_encode(pk)}"}}'
    thumbprint = b64url_encode(hashlib.sha256(members.encode()).digest())
    with pytest.raises(KeyRingError):
        key_id(pk)
    with pytest.raises(KeyRingError):
        VerifyingKey(thumbprint, pk, "record", "active", LONG_AGO)
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(pk),
        "kid": thumbprint,
        "purpose": "record",
        "status": "active",
        "not_before": "1970-01-01T00:00:00.000Z",
    }
    with pytest.raises(KeyRingError):
        VerifyingKey.from_jwk(jwk)
    with pytest.raises(KeyRingError):
        KeyRing.from_jwks({"keys": [jwk]})
    # Even a key smuggled past the constructor is re-checked at verification time.
    smuggled = object.__new__(VerifyingKey)
    for name, value in {
        "kid": thumbprint,
        "public_key": pk,
        "purpose": "record",
        "status": "active",
        "not_before": LONG_AGO,
        "not_after": None,
    }.items():
        object.__setattr__(smuggled, name, value)
    ring = KeyRing([smuggled])
    for message in (b"", b"any message"):
        with pytest.raises(IkrarError):
            ring.verify(thumbprint, message, forged, purpose="record", at=None)


# --- RFC 8037 Appendix A ----------------------------------------------------------------------------

RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_JWS_INPUT = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIGNATURE = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
RFC8032_TEST1_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"


def test_rfc8037_thumbprint() -> None:
    assert key_id(b64url_decode(RFC8037_X)) == RFC8037_THUMBPRINT


def test_rfc8037_key_pair_and_signature() -> None:
    secret = bytes.fromhex(RFC8032_TEST1_SECRET)
    assert b64url_decode(RFC8037_D) == secret
    signer = Signer(Ed25519PrivateKey.from_private_bytes(secret))
    assert signer.public_key == b64url_decode(RFC8037_X)
    assert b64url_encode(signer.public_key) == RFC8037_X
    assert signer.kid == RFC8037_THUMBPRINT
    signature = signer.sign(RFC8037_JWS_INPUT)
    assert b64url_encode(signature) == RFC8037_SIGNATURE
    key = verifying_key(signer.public_key)
    assert KeyRing([key]).verify(key.kid, RFC8037_JWS_INPUT, signature, purpose="record", at=None) is key
    assert raw_public_key(signer.private_key) == raw_public_key(signer.private_key.public_key())


# --- JWK / JWKS -------------------------------------------------------------------------------------


def test_jwk_round_trip() -> None:
    a, b, _, _ = signers()
    keys = [
        verifying_key(a.public_key, not_before=T0, not_after=T0 + timedelta(days=30), status="retired"),
        verifying_key(b.public_key, "log", not_before=T0 + timedelta(days=30)),
    ]
    for key in keys:
        jwk = key.to_jwk()
        assert (jwk["kty"], jwk["crv"], jwk["kid"]) == ("OKP", "Ed25519", key.kid)
        assert b64url_decode(jwk["x"]) == key.public_key
        assert "d" not in jwk
        assert VerifyingKey.from_jwk(jwk) == key
        assert VerifyingKey.from_jwk(strict_json_loads(json.dumps(jwk))) == key
    assert "not_after" not in keys[1].to_jwk()
    assert keys[0].to_jwk()["not_after"] == "2024-01-31T00:00:00.000Z"
    ring = KeyRing(reversed(keys))
    jwks = ring.to_jwks()
    assert [k["kid"] for k in jwks["keys"]] == [keys[0].kid, keys[1].kid]  # ordered by not_before
    again = KeyRing.from_jwks(strict_json_loads(json.dumps(jwks)))
    assert dict(again) == dict(ring) == {k.kid: k for k in keys}
    assert len(again) == 2
    assert again[keys[1].kid] == keys[1]
    assert sorted(again) == sorted(k.kid for k in keys)


def _good_jwk() -> dict[str, Any]:
    return verifying_key(signers()[0].public_key, not_after=T0).to_jwk()


def _drop(name: str) -> dict[str, Any]:
    jwk = _good_jwk()
    del jwk[name]
    return jwk


def _set(**changes: Any) -> dict[str, Any]:
    return _good_jwk() | changes


MALFORMED_JWKS = {
    **{f"missing {m}": _drop(m) for m in ("kty", "crv", "x", "kid", "purpose", "status", "not_before")},
    "kty EC": _set(kty="EC"),
    "crv X25519": _set(crv="X25519"),
    "crv Ed448": _set(crv="Ed448"),
    "x padded": _set(x=_good_jwk()["x"] + "="),
    "x standard base64": _set(x=_good_jwk()["x"].replace("_", "/").replace("-", "+") + "+/"),
    "x 31 bytes": _set(x=b64url_encode(signers()[0].public_key[:31])),
    "x not text": _set(x=12),
    "x small order": _set(x=b64url_encode(_le(1))),
    "kid of another key": _set(kid=signers()[1].kid),
    "kid empty": _set(kid=""),
    "kid not text": _set(kid=None),
    "purpose unknown": _set(purpose="email"),
    "purpose list": _set(purpose=["record"]),
    "status unknown": _set(status="revoked"),
    "not_before other form": _set(not_before="2024-01-01T00:00:00Z"),
    "not_before number": _set(not_before=1704067200),
    "not_after other form": _set(not_after="2024-01-01"),
}


@pytest.mark.parametrize("jwk", [pytest.param(v, id=k) for k, v in MALFORMED_JWKS.items()])
def test_malformed_jwk_is_refused(jwk: dict[str, Any]) -> None:
    with pytest.raises(KeyRingError):
        VerifyingKey.from_jwk(jwk)
    with pytest.raises(KeyRingError):
        KeyRing.from_jwks({"keys": [verifying_key(signers()[2].public_key).to_jwk(), jwk]})


@pytest.mark.parametrize("jwk", [None, "jwk", [], 42])
def test_jwk_that_is_not_an_object_is_refused(jwk: Any) -> None:
    with pytest.raises(KeyRingError):
        VerifyingKey.from_jwk(jwk)


@pytest.mark.parametrize("jwks", [None, [], {}, {"keys": None}, {"keys": {}}, {"keys": "x"}, {"key": []}])
def test_malformed_jwks_is_refused(jwks: Any) -> None:
    with pytest.raises(KeyRingError, match="'keys' array"):
        KeyRing.from_jwks(jwks)


def test_duplicate_kid_is_refused() -> None:
    key = verifying_key(signers()[0].public_key)
    with pytest.raises(KeyRingError, match="appears twice"):
        KeyRing([key, verifying_key(signers()[1].public_key), key])
    # The same key id with different metadata is still a duplicate.
    with pytest.raises(KeyRingError, match="appears twice"):
        KeyRing([key, verifying_key(signers()[0].public_key, "log")])
    with pytest.raises(KeyRingError, match="appears twice"):
        KeyRing.from_jwks({"keys": [key.to_jwk(), key.to_jwk()]})


def test_verifying_key_checks_its_members() -> None:
    a, b = signers()[:2]
    with pytest.raises(KeyRingError, match="thumbprint"):
        VerifyingKey(b.kid, a.public_key, "record", "active", LONG_AGO)
    with pytest.raises(KeyRingError, match="purpose"):
        VerifyingKey(a.kid, a.public_key, "Record", "active", LONG_AGO)
    with pytest.raises(KeyRingError, match="status"):
        VerifyingKey(a.kid, a.public_key, "record", "", LONG_AGO)


# --- KeyRing.verify ----------------------------------------------------------------------------------


START, END = T0, T0 + timedelta(days=10)
INSIDE = START + timedelta(days=1)
MSG = b"commitment"


def _ring() -> KeyRing:
    a, b = signers()[:2]
    record_key = verifying_key(a.public_key, not_before=START, not_after=END)
    return KeyRing([record_key, verifying_key(b.public_key, "log")])


def test_verify_accepts() -> None:
    a, b = signers()[:2]
    ring = _ring()
    sig = a.sign(MSG)
    assert ring.verify(a.kid, MSG, sig, purpose="record", at=INSIDE) is ring[a.kid]
    assert ring.verify(a.kid, MSG, sig, purpose="record", at=START) is ring[a.kid]  # not_before inclusive
    assert ring.verify(a.kid, MSG, sig, purpose="record", at=END - timedelta(milliseconds=1)) is ring[a.kid]
    assert ring.verify(a.kid, MSG, sig, purpose="record", at=None) is ring[a.kid]
    assert ring.verify(b.kid, MSG, b.sign(MSG), purpose="log", at=INSIDE) is ring[b.kid]


def _refusal(name: str) -> tuple[str, bytes, bytes, str, datetime, str]:
    a, b, c, _ = signers()
    sig = a.sign(MSG)
    return {
        "unknown kid": (c.kid, MSG, c.sign(MSG), "record", INSIDE, "not in the key ring"),
        "empty kid": ("", MSG, sig, "record", INSIDE, "not in the key ring"),
        "wrong purpose": (a.kid, MSG, sig, "log", INSIDE, "not a log key"),
        "log key as record key": (b.kid, MSG, b.sign(MSG), "record", INSIDE, "not a record key"),
        "unknown purpose": (a.kid, MSG, sig, "", INSIDE, "not a  key"),
        "before not_before": (a.kid, MSG, sig, "record", START - timedelta(milliseconds=1), "not valid at"),
        "at not_after": (a.kid, MSG, sig, "record", END, "not valid at"),
        "after not_after": (a.kid, MSG, sig, "record", END + timedelta(days=400), "not valid at"),
        "63-byte signature": (a.kid, MSG, sig[:63], "record", INSIDE, "64 bytes"),
        "65-byte signature": (a.kid, MSG, sig + b"\x00", "record", INSIDE, "64 bytes"),
        "empty signature": (a.kid, MSG, b"", "record", INSIDE, "64 bytes"),
        "other message": (a.kid, MSG + b".", sig, "record", INSIDE, "does not verify"),
        "other key's signature": (a.kid, MSG, b.sign(MSG), "record", INSIDE, "does not verify"),
        "signature S + L": (a.kid, MSG, _malleate(sig), "record", INSIDE, "does not verify"),
        "zero signature": (a.kid, MSG, bytes(64), "record", INSIDE, "does not verify"),
    }[name]


@pytest.mark.parametrize(
    "name",
    [
        "unknown kid",
        "empty kid",
        "wrong purpose",
        "log key as record key",
        "unknown purpose",
        "before not_before",
        "at not_after",
        "after not_after",
        "63-byte signature",
        "65-byte signature",
        "empty signature",
        "other message",
        "other key's signature",
        "signature S + L",
        "zero signature",
    ],
)
def test_verify_refuses(name: str) -> None:
    kid, message, signature, purpose, at, reason = _refusal(name)
    with pytest.raises(VerificationError, match=reason):
        _ring().verify(kid, message, signature, purpose=purpose, at=at)


def _malleate(sig: bytes) -> bytes:
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(sig[32:], "little") + order
    return sig[:32] + s.to_bytes(32, "little")


def test_verify_never_takes_a_key_from_outside_the_ring() -> None:
    a = signers()[0]
    with pytest.raises(VerificationError, match="not in the key ring"):
        KeyRing([]).verify(a.kid, b"m", a.sign(b"m"), purpose="record", at=None)


def test_signing_is_deterministic() -> None:
    a = signers()[0]
    assert a.sign(b"x") == a.sign(b"x")
    fresh = Signer.generate()
    assert fresh.kid == key_id(fresh.public_key) != a.kid


# --- Encrypted PEM -----------------------------------------------------------------------------------


def test_encrypted_pem_round_trip() -> None:
    signer = signers()[0]
    pem = encrypt_private_key(signer, PASSPHRASE)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert (
        signer.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        not in pem
    )
    back = decrypt_private_key(pem, PASSPHRASE)
    assert (back.kid, back.public_key) == (signer.kid, signer.public_key)
    assert back.sign(b"m") == signer.sign(b"m")


def test_wrong_passphrase_names_the_setting() -> None:
    pem = encrypt_private_key(signers()[0], PASSPHRASE)
    with pytest.raises(KeyRingError, match="IKRAR_KEY_PASSPHRASE"):
        decrypt_private_key(pem, PASSPHRASE + b"!")


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(KeyRingError, match="without a passphrase"):
        encrypt_private_key(signers()[0], b"")
    pem = encrypt_private_key(signers()[0], PASSPHRASE)
    with pytest.raises(KeyRingError, match="IKRAR_KEY_PASSPHRASE") as info:
        decrypt_private_key(pem, b"")
    assert "not encrypted" not in str(info.value)  # the file is encrypted; the passphrase is missing


def _pem(key: Any, encryption: serialization.KeySerializationEncryption) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def test_unencrypted_pem_is_refused() -> None:
    pem = _pem(signers()[0].private_key, serialization.NoEncryption())
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    with pytest.raises(KeyRingError, match="not encrypted"):
        decrypt_private_key(pem, PASSPHRASE)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: rsa.generate_private_key(65537, 1024), id="rsa"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP256R1()), id="ec-p256"),
        pytest.param(ed448.Ed448PrivateKey.generate, id="ed448"),
        pytest.param(x25519.X25519PrivateKey.generate, id="x25519"),
    ],
)
def test_other_key_types_are_refused(make: Any) -> None:
    key = make()
    with pytest.raises(KeyRingError, match="does not hold an Ed25519 private key"):
        decrypt_private_key(_pem(key, serialization.BestAvailableEncryption(PASSPHRASE)), PASSPHRASE)
    with pytest.raises(KeyRingError, match="not encrypted"):
        decrypt_private_key(_pem(key, serialization.NoEncryption()), PASSPHRASE)


@pytest.mark.parametrize("pem", [b"", b"not a pem", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"])
def test_damaged_pem_is_refused(pem: bytes) -> None:
    with pytest.raises(KeyRingError):
        decrypt_private_key(pem, PASSPHRASE)


# --- KeyDirectory ------------------------------------------------------------------------------------


def test_key_directory_store_and_load(tmp_path: Path) -> None:
    directory = KeyDirectory(tmp_path / "keys")
    signer = signers()[0]
    path = directory.store(signer, PASSPHRASE)
    assert path == tmp_path / "keys" / f"{signer.kid}.pem" == directory.file_for(signer.kid)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) & 0o077 == 0
    assert path.read_bytes().startswith(b"-----BEGIN IKRAR PRIVATE KEY-----\nFormat: ikrar-key\n")
    loaded = directory.load(signer.kid, PASSPHRASE)
    assert (loaded.kid, loaded.public_key) == (signer.kid, signer.public_key)


def test_key_file_is_never_overwritten(tmp_path: Path) -> None:
    directory = KeyDirectory(tmp_path)
    signer = signers()[0]
    path = directory.store(signer, PASSPHRASE)
    before = path.read_bytes()
    with pytest.raises(KeyRingError, match="never overwritten"):
        directory.store(signer, b"another passphrase")
    assert path.read_bytes() == before
    # Nor is a file that happens to hold something else.
    other = signers()[1]
    squatter = directory.file_for(other.kid)
    squatter.write_bytes(b"placeholder")
    with pytest.raises(KeyRingError, match="never overwritten"):
        directory.store(other, PASSPHRASE)
    assert squatter.read_bytes() == b"placeholder"


def test_load_missing_key(tmp_path: Path) -> None:
    kid = signers()[0].kid
    with pytest.raises(KeyRingError, match=f"private key {kid} is missing"):
        KeyDirectory(tmp_path / "absent").load(kid, PASSPHRASE)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o610, 0o644, 0o666])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    directory = KeyDirectory(tmp_path)
    signer = signers()[0]
    path = directory.store(signer, PASSPHRASE)
    os.chmod(path, mode)
    with pytest.raises(KeyRingError, match="chmod 600"):
        directory.load(signer.kid, PASSPHRASE)
    os.chmod(path, 0o400)  # owner-only, even read-only, is fine
    assert directory.load(signer.kid, PASSPHRASE).kid == signer.kid


def test_key_file_holding_another_key(tmp_path: Path) -> None:
    directory = KeyDirectory(tmp_path)
    a, b = signers()[:2]
    directory.store(a, PASSPHRASE).rename(directory.file_for(b.kid))
    with pytest.raises(KeyRingError) as info:
        directory.load(b.kid, PASSPHRASE)
    assert f"holds key {a.kid}, not the key {b.kid}" in str(info.value)


def test_key_file_wrong_passphrase_or_unreadable(tmp_path: Path) -> None:
    directory = KeyDirectory(tmp_path)
    a, b = signers()[:2]
    directory.store(a, PASSPHRASE)
    with pytest.raises(KeyRingError, match="IKRAR_KEY_PASSPHRASE") as info:
        directory.load(a.kid, b"wrong")
    assert str(directory.file_for(a.kid)) in str(info.value)
    directory.file_for(b.kid).mkdir(mode=0o700)  # a directory where the file should be
    with pytest.raises(KeyRingError, match="cannot read the private key file"):
        directory.load(b.kid, PASSPHRASE)


@pytest.mark.parametrize(
    "kid",
    [
        "../x",
        "",
        "a" * 42,
        "a" * 44,
        "../" + "a" * 40,
        "a" * 42 + "/",
        "a" * 42 + ".",
        "a" * 43 + "\n",
        "a" * 42 + "\u00e9",
        "a" * 42 + "=",
        "/" + "a" * 42,
    ],
)
def test_bad_kid_is_refused(tmp_path: Path, kid: str) -> None:
    directory = KeyDirectory(tmp_path)
    with pytest.raises(KeyRingError, match="not a key id"):
        directory.file_for(kid)
    with pytest.raises(KeyRingError, match="not a key id"):
        directory.load(kid, PASSPHRASE)


def test_read_passphrase(tmp_path: Path) -> None:
    file = tmp_path / "passphrase"
    file.write_text("from the file\n", encoding="utf-8")
    file.chmod(0o600)  # held to the key files' rule (tests/test_secrets_at_rest.py checks 0644 is refused)
    assert read_passphrase("from the env", file) == b"from the env"
    assert read_passphrase("kata sandi rahasia é", None) == "kata sandi rahasia é".encode()
    assert read_passphrase(None, file) == b"from the file"
    assert read_passphrase("", file) == b"from the file"
    with pytest.raises(KeyRingError, match="IKRAR_KEY_PASSPHRASE"):
        read_passphrase(None, None)
    with pytest.raises(KeyRingError, match="IKRAR_KEY_PASSPHRASE"):
        read_passphrase("", tmp_path / "absent")
    file.write_text(" \n", encoding="utf-8")
    with pytest.raises(KeyRingError, match="IKRAR_KEY_PASSPHRASE"):
        read_passphrase(None, file)
    with pytest.raises(KeyRingError, match="IKRAR_KEY_PASSPHRASE"):
        read_passphrase(None, tmp_path)  # a directory is not a passphrase file
