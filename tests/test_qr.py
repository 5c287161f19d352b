"""The QR statement (docs/FORMATS.md §9): round trip, tamper evidence, size bound, truncation."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registry.core import qr
from registry.core.canonical import b64url_decode, parse_canonical
from registry.core.errors import FormatError, VerificationError
from registry.core.keys import KeyRing, Signer, VerifyingKey
from registry.offline_verify import verify_qr
from registry.pdf.qr_drawing import QR_BORDER, qr_matrix

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


# --- The cut rule, as FORMATS.md §9 words it -------------------------------------------------------

CUT_NAME = "Dr. Hj. Raden Ayu Désirée Kusumawardhani Sastrowardoyo Adiningrat, S.E., M.Sc."
CUT_INSTITUTION = "ꦥꦼꦩꦼꦫꦶꦤ꧀ꦠꦃ Kabupaten Purbalingga — Dinas Komunikasi dan Informatika, Bidang Persandian"


def documented_cut(record: dict[str, Any], log_index: int, base: str) -> tuple[dict[str, Any], int, int]:
    """An independent transcription of the §9 steps; returns the statement and the final L_n, L_i."""
    from registry.core.canonical import b64url_encode, canonical_bytes

    name, institution = record["signatory"]["name"], record["signatory"]["institution"]

    def cut(text: str, limit: int) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "\u2026"

    l_n, l_i = min(40, len(name)), min(40, len(institution))  # step 1
    while True:
        statement = {
            "v": 1,
            "code": record["code"],
            "c": record["commitment"]["id"],
            "cv": record["commitment"]["version"],
            "n": cut(name, l_n),
            "i": cut(institution, l_i),
            "t": record["signed_at"],
            "k": record["kid"][:8],
            "l": log_index,
        }
        url = f"{base}/v/{record['code']}#{b64url_encode(canonical_bytes(statement))}.{'A' * 86}"  # step 2
        if len(url.encode("utf-8")) <= 412:
            return statement, l_n, l_i
        if l_n == 1 and l_i == 1:  # step 4
            raise FormatError("base URL too long")
        n_bytes, i_bytes = len(statement["n"].encode()), len(statement["i"].encode())  # step 3
        if l_i == 1 or (n_bytes >= i_bytes and l_n > 1):
            l_n -= 1
        else:
            l_i -= 1


def test_cut_worked_example_in_formats_md() -> None:
    import hashlib
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from registry.core.canonical import canonical_bytes

    seed = hashlib.sha256(b"ikrar sample certificate: a public, throw-away key").digest()
    sample = Signer(Ed25519PrivateKey.from_private_bytes(seed))
    record = make_record(sample, name=CUT_NAME, institution=CUT_INSTITUTION)
    record["code"] = "PBG24SC0KMR"
    assert (len(CUT_NAME), len(CUT_NAME.encode())) == (78, 80)
    assert (len(CUT_INSTITUTION), len(CUT_INSTITUTION.encode())) == (86, 108)
    assert all(unicodedata.is_normalized("NFC", t) for t in (CUT_NAME, CUT_INSTITUTION))
    fields = qr.fit_statement(record, 17, BASE)
    statement, l_n, l_i = documented_cut(record, 17, BASE)
    assert fields == statement and (l_n, l_i) == (31, 14)
    assert fields["n"] == "Dr. Hj. Raden Ayu Désirée Kusu…" and len(fields["n"].encode()) == 35
    assert fields["i"] == "ꦥꦼꦩꦼꦫꦶꦤ꧀ꦠꦃ Ka…" and len(fields["i"].encode()) == 36
    statement_bytes = canonical_bytes(fields)
    assert len(statement_bytes) == 207
    url = qr.qr_url(record, 17, BASE, sample)
    assert len(url.encode()) == 412 == len(url)
    # Uncut (40, 40) the URL would have 462 bytes; one code point more on n would need 414.
    wider = qr.statement_for(record, 17, n_chars=32, i_chars=14)
    assert len(canonical_bytes(wider)) == 208  # base64url: 278 characters, URL 414 bytes
    formats = (Path(__file__).resolve().parent.parent / "docs" / "FORMATS.md").read_text("utf-8")
    for shown in (CUT_NAME, CUT_INSTITUTION, statement_bytes.decode(), url, "(31, 14)"):
        assert shown in formats, shown[:50]
    assert verify_qr(url, ring_of(sample)).status == "valid"
    modules = len(qr_matrix(url)) - 2 * QR_BORDER
    assert (modules - 17) // 4 == 15


def _random_text(rng: Any, length: int) -> str:
    pools = ["abcdefghij ,.", "éñçøü", "ꦥꦼꦩꦫꦶ—…", "\U0001d538\U0001f600", '"\\<>&']
    return "".join(rng.choice(rng.choice(pools)) for _ in range(length))


def test_documented_cut_rule_is_what_the_code_does() -> None:
    import random

    rng = random.Random(2024)
    signer = Signer.generate()
    for _ in range(300):
        name = _random_text(rng, rng.randint(1, 200))
        institution = _random_text(rng, rng.randint(1, 200))
        record = make_record(signer, name=name, institution=institution)
        base = rng.choice([BASE, "https://x.id", "https://ikrar-registri.purbalinggakab.go.id/sub/path"])
        statement, _, _ = documented_cut(record, rng.randint(0, 10**9), base)
        assert qr.fit_statement(record, statement["l"], base) == statement


def test_a_56_byte_base_url_always_leaves_room(signer: Signer) -> None:
    # FORMATS.md §9 step 4: the bound quoted there, at its worst case.
    record = make_record(signer, name="\U0001d538" * 200, institution="\U0001d538" * 200)
    record["commitment"].update(id="k" * 64, version=9999)
    base = "https://" + "r" * 42 + ".go.id"
    assert len(base) == 56
    fields = qr.fit_statement(record, 9_999_999_999, base)
    assert len(fields["n"]) + len(fields["i"]) >= 2
    with pytest.raises(FormatError, match="base URL is too long"):
        qr.fit_statement(record, 9_999_999_999, base + "/" * 30)
