"""The QR statement (docs/FORMATS.md §9): round trip, tamper evidence, size bound, truncation."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registry.certificate import QR_BORDER, qr_matrix
from registry.core import qr
from registry.core.canonical import b64url_decode, parse_canonical
from registry.core.errors import FormatError, VerificationError
from registry.core.keys import KeyRing, Signer, VerifyingKey
from registry.offline_verify import verify_qr

BASE = "https://ikrar.purbalinggakab.go.id"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def make_record(signer: Signer, **signatory: str) -> dict[str, Any]:
    return {
        "type": "ikrar.signature.v1",
        "id": "g4kq7zr2m5xw3a6bn2c7dpe5fu",
        "code": "01234567890",
        "commitment": {"id": "purbalingga-smart-city-2024", "version": 1, "text_sha256": "0" * 64},
        "signatory": {
            "name": "Dra. Sri Wahyuningsih, M.Si.",
            "position": "Kepala Dinas",
            "institution": "Dinas Kominfo Kabupaten Purbalingga",
            "category": "pemerintah",
        }
        | signatory,
        "dimensions": ["smart-governance"],
        "consent": {"text_sha256": "1" * 64, "public_display": True},
        "handwriting": {"strokes_sha256": "2" * 64},
        "signed_at": "2024-09-12T03:15:00.000Z",
        "claimed_at": None,
        "operator": "op",
        "device": "dev",
        "kid": signer.kid,
    }


def ring_of(*signers: Signer) -> KeyRing:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return KeyRing(VerifyingKey(s.kid, s.public_key, "record", "active", start) for s in signers)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate()


def test_round_trip(signer: Signer) -> None:
    record = make_record(signer, name="PT <Maju> & Jaya")
    url = qr.qr_url(record, 17, BASE, signer)
    assert url.startswith(f"{BASE}/v/01234567890#")
    statement = qr.verify_url(url, ring_of(signer))
    assert statement.fields == {
        "v": 1,
        "code": "01234567890",
        "c": "purbalingga-smart-city-2024",
        "cv": 1,
        "n": "PT <Maju> & Jaya",
        "i": "Dinas Kominfo Kabupaten Purbalingga",
        "t": "2024-09-12T03:15:00.000Z",
        "k": signer.kid[:8],
        "l": 17,
    }
    assert statement.key.kid == signer.kid and not statement.truncated
    assert qr.matches_record(statement.fields, record, 17) == []
    assert qr.matches_record(statement.fields, record, 18) == ["l"]
    # Ed25519 is deterministic: the same record gives the same URL (and so the same PDF).
    assert qr.qr_url(record, 17, BASE, signer) == url
    verdict = verify_qr(url, ring_of(signer))
    assert verdict.status == "valid" and verdict.exit_code == 0


def test_every_single_character_change_is_rejected(signer: Signer) -> None:
    url = qr.qr_url(make_record(signer), 3, BASE, signer)
    prefix, fragment = url.split("#")
    ring = ring_of(signer)
    tried = 0
    for position, original in enumerate(fragment):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            altered = fragment[:position] + replacement + fragment[position + 1 :]
            with pytest.raises(VerificationError):
                qr.verify_fragment(altered, ring, code="01234567890")
            tried += 1
    assert tried == len(fragment) * (len(ALPHABET) - 1)
    # Dropping or adding one character is rejected too.
    for position in range(len(fragment)):
        with pytest.raises(VerificationError):
            qr.verify_fragment(fragment[:position] + fragment[position + 1 :], ring)
    with pytest.raises(VerificationError):
        qr.verify_fragment(fragment + "A", ring)
    # Moved to another code's path, the statement is refused.
    with pytest.raises(VerificationError):
        qr.verify_url(prefix.replace("01234567890", "0123456789A") + "#" + fragment, ring)


def test_unknown_key_and_wrong_key_are_refused(signer: Signer) -> None:
    other = Signer.generate()
    url = qr.qr_url(make_record(signer), 3, BASE, signer)
    assert verify_qr(url, ring_of(other)).status == "unknown"
    with pytest.raises(FormatError):  # only the record's own key may sign its statement
        qr.qr_url(make_record(signer), 3, BASE, other)
    # Without the private key the URL carries no statement at all.
    assert qr.qr_url(make_record(signer), 3, BASE, None) == f"{BASE}/v/01234567890"


WORST_NAMES = [
    "Purbalingga" * 18 + "Ka",  # 200 ASCII characters
    "\U0001d538" * 200,  # 200 four-byte characters
    "Ñ" * 200,
    unicodedata.normalize("NFC", "Dédé Ñoño Çağrı Łódź " * 9)[:200],
    "\u200f" + "ي" * 199,
]


@pytest.mark.parametrize("name", WORST_NAMES, ids=range(len(WORST_NAMES)))
def test_worst_case_fits_version_15_at_level_m(signer: Signer, name: str) -> None:
    record = make_record(signer, name=name, institution=name[::-1])
    record["commitment"]["id"] = "k" * 64  # the longest commitment id
    base = "https://ikrar-registri.purbalinggakab.go.id"
    url = qr.qr_url(record, 9_999_999_999, base, signer)
    assert len(url.encode()) <= qr.MAX_URL_BYTES
    modules = len(qr_matrix(url)) - 2 * QR_BORDER
    assert (modules - 17) // 4 <= 15
    statement = qr.verify_url(url, ring_of(signer))
    assert statement.truncated
    assert statement.fields["n"].endswith("…") and len(statement.fields["n"]) <= qr.MAX_TEXT_CHARS
    assert qr.matches_record(statement.fields, record, 9_999_999_999) == []


def test_truncation_is_deterministic_and_documented(signer: Signer) -> None:
    long = "Prof. Dr. Ir. Raden Mas Haryo Bagus Setyo Wicaksono Adiningrat"
    fields = qr.fit_statement(make_record(signer, name=long), 5, BASE)
    assert fields == qr.fit_statement(make_record(signer, name=long), 5, BASE)
    # Cut to 40 code points, then one more code point from the longer text until the URL fits.
    assert fields["n"] == "Prof. Dr. Ir. Raden Mas Haryo Bagu…"
    assert fields["i"] == "Dinas Kominfo Kabupaten Purbalingga"
    short_base = qr.fit_statement(make_record(signer, name=long), 5, "https://x.id")
    assert short_base["n"] == long[:39] + "…"
    short = qr.fit_statement(make_record(signer), 5, BASE)
    assert short["n"] == "Dra. Sri Wahyuningsih, M.Si."


def test_statement_is_jcs_and_expires_with_its_key(signer: Signer) -> None:
    url = qr.qr_url(make_record(signer), 3, BASE, signer)
    encoded = url.split("#")[1].split(".")[0]
    raw = b64url_decode(encoded)
    assert parse_canonical(raw)["v"] == 1  # parse_canonical refuses non-JCS bytes
    later = datetime(2025, 1, 1, tzinfo=UTC)
    retired = KeyRing(
        [VerifyingKey(signer.kid, signer.public_key, "record", "retired", later, later + timedelta(days=1))]
    )
    with pytest.raises(VerificationError):  # signed_at outside the key's validity
        qr.verify_url(url, retired)


def test_worked_example_in_formats_md() -> None:
    import hashlib
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = hashlib.sha256(b"ikrar sample certificate: a public, throw-away key").digest()
    sample = Signer(Ed25519PrivateKey.from_private_bytes(seed))
    record = make_record(sample)
    record["code"] = "PBG24SC0KMR"
    url = qr.qr_url(record, 17, "https://ikrar.purbalinggakab.go.id", sample)
    formats = (Path(__file__).resolve().parent.parent / "docs" / "FORMATS.md").read_text("utf-8")
    assert url in formats and sample.kid in formats
    assert len(url.encode()) == 402
    assert verify_qr(url, ring_of(sample)).status == "valid"
