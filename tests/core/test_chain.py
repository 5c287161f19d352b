"""chain.py: log entries, their canonical form, and the streaming verifier that finds the first break."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import rfc8785

from registry.core.canonical import canonical_bytes, format_instant
from registry.core.chain import GENESIS_PREV, ChainError, ChainVerifier, Entry, make_entry, parse_entry
from registry.core.errors import FormatError, VerificationError

T0 = datetime(2024, 9, 12, 3, 0, tzinfo=UTC)
SIZE = 20
TYPES = ["commitment:publish", "signature:create", "signature:create", "key:rotate", "checkpoint:sign"]


def payload(i: int) -> dict[str, Any]:
    digest = hashlib.sha256(f"record {i}".encode()).hexdigest()
    return {
        "record_id": f"rec{i:023d}",
        "record_sha256": digest,
        "commitment": "pakta-integritas",
        "version": i % 3 + 1,
        "signer": "Dédé",
        "note": f"catatan {i}" if i % 4 == 0 else None,
    }


def moment(i: int) -> datetime:
    # Entries 4 and 5 share a millisecond: equal times are allowed.
    if i == 5:
        return moment(4)
    return T0 + timedelta(seconds=37 * i, milliseconds=i)


def build(size: int = SIZE, *, index: Any = None, prev: Any = None, time: Any = None) -> list[Entry]:
    """A linked chain; ``index``/``prev``/``time`` may override the value used for position i."""
    entries: list[Entry] = []
    head = GENESIS_PREV
    for i in range(size):
        entry = make_entry(
            index(i) if index else i,
            time(i) if time else moment(i),
            TYPES[i % len(TYPES)],
            payload(i),
            prev(i, head) if prev else head,
        )
        entries.append(entry)
        head = entry.hash
    return entries


def verify(blobs: Sequence[bytes], start: int = 0, prev: str = GENESIS_PREV) -> ChainVerifier:
    verifier = ChainVerifier(start, prev)
    for blob in blobs:
        verifier.add(blob)
    return verifier


def break_index(blobs: Sequence[bytes]) -> int:
    with pytest.raises(ChainError) as info:
        verify(blobs)
    assert isinstance(info.value, VerificationError)
    assert str(info.value).startswith(f"entry {info.value.index}: {info.value.reason}")
    return info.value.index


CHAIN = build()
BLOBS = [e.canonical for e in CHAIN]


def test_chain_of_twenty_verifies() -> None:
    assert CHAIN[0].prev == GENESIS_PREV == "0" * 64
    for before, after in itertools.pairwise(CHAIN):
        assert after.prev == before.hash == hashlib.sha256(before.canonical).hexdigest()
    verifier = ChainVerifier()
    for i, blob in enumerate(BLOBS):
        assert verifier.add(blob) == CHAIN[i]
    assert verifier.size == SIZE
    assert verifier.head == CHAIN[-1].hash
    assert CHAIN[5].time == CHAIN[4].time
    assert [e.time for e in CHAIN] == sorted(e.time for e in CHAIN)


def test_entry_form() -> None:
    entry = CHAIN[3]
    body = json.loads(entry.canonical)
    assert body == {
        "index": 3,
        "time": format_instant(moment(3)),
        "type": "key:rotate",
        "payload": payload(3),
        "prev": CHAIN[2].hash,
    }
    assert entry.canonical == rfc8785.dumps(body)
    assert parse_entry(entry.canonical) == entry
    assert entry.hash == hashlib.sha256(entry.canonical).hexdigest()


def test_verifier_can_start_mid_chain() -> None:
    verifier = verify(BLOBS[10:], start=10, prev=CHAIN[9].hash)
    assert (verifier.size, verifier.head) == (SIZE, CHAIN[-1].hash)
    with pytest.raises(ChainError) as info:
        verify(BLOBS[10:], start=10)  # the genesis prev is not the hash of entry 9
    assert info.value.index == 9


# --- Tampering: the first bad position ----------------------------------------------------------------

_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", re.ASCII)
_TYPE = re.compile(r"[a-z][a-z_]*:[a-z][a-z_]*", re.ASCII)
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate")
    return dict(pairs)


def _signable(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, str):
        return unicodedata.is_normalized("NFC", value)
    if isinstance(value, list):
        return all(map(_signable, value))
    if isinstance(value, dict):
        return all(_signable(k) and _signable(v) for k, v in value.items())
    return True


def _classify(blob: bytes, i: int) -> str:
    """Independent oracle for ``blob`` standing as entry ``i`` between untouched neighbours.

    "malformed" (not a canonical entry at index i), "prev" (its prev is not the hash of entry i-1),
    "time" (earlier than entry i-1), or "ok" (only its hash changed).
    """
    try:
        body = json.loads(blob.decode("utf-8"), object_pairs_hook=_pairs)
        if rfc8785.dumps(body) != blob or not _signable(body):
            return "malformed"
        datetime.strptime(body["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    except (ValueError, KeyError, TypeError, rfc8785.CanonicalizationError):
        return "malformed"
    if not (
        set(body) == {"index", "time", "type", "payload", "prev"}
        and type(body["index"]) is int
        and body["index"] == i
        and isinstance(body["prev"], str)
        and _HEX64.fullmatch(body["prev"]) is not None
        and isinstance(body["type"], str)
        and _TYPE.fullmatch(body["type"]) is not None
        and isinstance(body["payload"], dict)
        and _TIME.fullmatch(body["time"]) is not None
    ):
        return "malformed"
    if body["prev"] != CHAIN[i].prev:
        return "prev"
    if i > 0 and body["time"] < CHAIN[i - 1].time:
        return "time"
    return "ok"


def test_flipped_byte_in_every_entry() -> None:
    # A link break between entries j and j+1 is reported at j, the earlier of the two that may
    # have been altered; everything else at the entry itself.
    rng = random.Random(20240912)
    outcomes: dict[str, int] = {}
    for i in range(SIZE):
        tampered = bytearray(BLOBS[i])
        position = rng.randrange(len(tampered))
        tampered[position] ^= rng.randrange(1, 256)
        blobs = [*BLOBS[:i], bytes(tampered), *BLOBS[i + 1 :]]
        kind = _classify(bytes(tampered), i)
        outcomes[kind] = outcomes.get(kind, 0) + 1
        if kind == "ok" and i == SIZE - 1:
            # The last entry has no successor: only the head (checked against the log head) shows it.
            assert verify(blobs).head != CHAIN[-1].hash
            continue
        expected = i - 1 if kind == "prev" and i > 0 else i
        assert break_index(blobs) == expected, (i, position, kind)
    assert outcomes.get("malformed", 0) > 0
    assert outcomes.get("ok", 0) > 0, outcomes


@pytest.mark.parametrize("i", range(SIZE))
def test_payload_change_is_named_at_the_changed_entry(i: int) -> None:
    changed = BLOBS[i].replace(b"pakta-integritas", b"pakta-integritaz")
    assert changed != BLOBS[i]
    assert _classify(changed, i) == "ok"
    blobs = [*BLOBS[:i], changed, *BLOBS[i + 1 :]]
    if i + 1 < SIZE:
        with pytest.raises(ChainError, match=f"entry {i} does not hash to the prev of entry {i + 1}") as info:
            verify(blobs)
        assert info.value.index == i
        assert info.value.kind == "link"
    else:
        assert verify(blobs).head != CHAIN[-1].hash


@pytest.mark.parametrize("i", range(SIZE))
def test_altered_prev_field(i: int) -> None:
    digit = CHAIN[i].prev[7]
    other = "1" if digit != "1" else "2"
    changed = BLOBS[i].replace(
        f'"prev":"{CHAIN[i].prev}"'.encode(),
        f'"prev":"{CHAIN[i].prev[:7]}{other}{CHAIN[i].prev[8:]}"'.encode(),
    )
    assert _classify(changed, i) == "prev"
    blobs = [*BLOBS[:i], changed, *BLOBS[i + 1 :]]
    with pytest.raises(ChainError) as info:
        verify(blobs)
    if i == 0:
        assert info.value.index == 0
        assert "64 zeros" in info.value.reason
    else:
        # Entry i-1's bytes or entry i's prev: the chain cannot tell which; it names the earlier.
        assert info.value.index == i - 1
        assert info.value.kind == "link"


@pytest.mark.parametrize("i", range(SIZE))
def test_structural_byte_flip_breaks_at_its_own_index(i: int) -> None:
    blob = bytearray(BLOBS[i])
    blob[0] ^= 0x01  # '{' -> 'z'
    blobs = [*BLOBS[:i], bytes(blob), *BLOBS[i + 1 :]]
    with pytest.raises(ChainError, match="malformed entry") as info:
        verify(blobs)
    assert info.value.index == i


@pytest.mark.parametrize("k", range(SIZE - 1))
def test_deleted_entry(k: int) -> None:
    blobs = BLOBS[:k] + BLOBS[k + 1 :]
    with pytest.raises(ChainError, match=f"index {k + 1} where {k} was expected") as info:
        verify(blobs)
    assert info.value.index == k


def test_deleted_last_entry_shows_only_in_the_head() -> None:
    verifier = verify(BLOBS[:-1])
    assert verifier.size == SIZE - 1
    assert verifier.head == CHAIN[-2].hash != CHAIN[-1].hash


@pytest.mark.parametrize("k", range(SIZE - 1))
def test_swapped_entries(k: int) -> None:
    blobs = list(BLOBS)
    blobs[k], blobs[k + 1] = blobs[k + 1], blobs[k]
    assert break_index(blobs) == k


def test_swapped_distant_entries() -> None:
    blobs = list(BLOBS)
    blobs[3], blobs[15] = blobs[15], blobs[3]
    assert break_index(blobs) == 3


@pytest.mark.parametrize("gap", [4, 10, 19])
def test_index_gap(gap: int) -> None:
    entries = build(index=lambda i: i if i < gap else i + 1)
    blobs = [e.canonical for e in entries]
    verify(blobs[:gap])  # the part before the gap is fine
    with pytest.raises(ChainError, match=f"index {gap + 1} where {gap} was expected") as info:
        verify(blobs)
    assert info.value.index == gap


def test_repeated_index() -> None:
    entries = build(index=lambda i: i if i < 8 else i - 1)
    with pytest.raises(ChainError, match="index 7 where 8") as info:
        verify([e.canonical for e in entries])
    assert info.value.index == 8


@pytest.mark.parametrize("k", [1, 7, 19])
def test_prev_that_does_not_match(k: int) -> None:
    wrong = hashlib.sha256(b"elsewhere").hexdigest()
    entries = build(prev=lambda i, head: wrong if i == k else head)
    blobs = [e.canonical for e in entries]
    verify(blobs[:k])
    with pytest.raises(ChainError, match=f"entry {k - 1} does not hash to the prev of entry {k}") as info:
        verify(blobs)
    assert info.value.index == k - 1
    assert info.value.kind == "link"


def test_genesis_prev_must_be_zeros() -> None:
    entries = build(prev=lambda i, head: CHAIN[5].hash if i == 0 else head)
    with pytest.raises(ChainError, match="64 zeros") as info:
        verify([e.canonical for e in entries])
    assert info.value.index == 0


def test_prev_pointing_two_back() -> None:
    entries = build(prev=lambda i, head: CHAIN[i - 2].hash if i == 12 else head)
    with pytest.raises(ChainError, match="does not hash to the prev") as info:
        verify([e.canonical for e in entries])
    assert info.value.index == 11


@pytest.mark.parametrize("k", [1, 6, 19])
def test_time_going_backwards(k: int) -> None:
    entries = build(time=lambda i: moment(i - 1) - timedelta(milliseconds=1) if i == k else moment(i))
    with pytest.raises(ChainError, match="earlier than the previous") as info:
        verify([e.canonical for e in entries])
    assert info.value.index == k


def test_equal_times_are_allowed() -> None:
    entries = build(time=lambda i: T0)
    assert verify([e.canonical for e in entries]).size == SIZE


def _relinked(k: int, encode: Any) -> list[bytes]:
    """Entry k re-encoded by ``encode``, the rest linked to the new bytes: only its form is wrong."""
    blobs = list(BLOBS[:k])
    head = CHAIN[k - 1].hash if k else GENESIS_PREV
    for i in range(k, SIZE):
        entry = make_entry(i, moment(i), TYPES[i % len(TYPES)], payload(i), head)
        blob = encode(json.loads(entry.canonical)) if i == k else entry.canonical
        blobs.append(blob)
        head = hashlib.sha256(blob).hexdigest()
    return blobs


NON_CANONICAL = {
    "spaces": lambda body: json.dumps(body, ensure_ascii=False).encode(),
    "ascii escapes": lambda body: json.dumps(body, sort_keys=True, separators=(",", ":")).encode(),
    "key order": lambda body: json.dumps(
        dict(reversed(body.items())), separators=(",", ":"), ensure_ascii=False
    ).encode(),
    "escaped letter": lambda body: canonical_bytes(body).replace(b'"index"', b'"\\u0069ndex"'),
    "trailing newline": lambda body: canonical_bytes(body) + b"\n",
    "BOM": lambda body: b"\xef\xbb\xbf" + canonical_bytes(body),
}


@pytest.mark.parametrize("k", [0, 4, 19])
@pytest.mark.parametrize("encoding", sorted(NON_CANONICAL))
def test_non_canonical_re_encoding(k: int, encoding: str) -> None:
    blobs = _relinked(k, NON_CANONICAL[encoding])
    assert blobs[k] != BLOBS[k]
    assert json.loads(blobs[k].decode("utf-8-sig")) == json.loads(BLOBS[k])
    with pytest.raises(ChainError, match="malformed entry") as info:
        verify(blobs)
    assert info.value.index == k


# --- Entry form ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_",
    [
        "Signature:create",
        "signature",
        "a:b:c",
        "signature:",
        ":create",
        "signature:Create",
        "signature-x:create",
        "signature :create",
        "1a:b",
        "a:b\n",
        "",
        "signature:créate",
        "_a:b",
    ],
)
def test_bad_entry_type(type_: str) -> None:
    with pytest.raises(FormatError, match="subject:action"):
        make_entry(0, T0, type_, {}, GENESIS_PREV)
    body = {"index": 0, "time": format_instant(T0), "type": type_, "payload": {}, "prev": GENESIS_PREV}
    with pytest.raises(FormatError, match="subject:action"):
        parse_entry(canonical_bytes(body))
    with pytest.raises(ChainError) as info:
        verify([canonical_bytes(body)])
    assert info.value.index == 0


@pytest.mark.parametrize("type_", ["a:b", "signature:create", "key_ring:rotate_now", "z:z_"])
def test_good_entry_types(type_: str) -> None:
    entry = make_entry(0, T0, type_, {"k": 1}, GENESIS_PREV)
    assert parse_entry(entry.canonical).type == type_


def _body(**changes: Any) -> dict[str, Any]:
    body = json.loads(CHAIN[2].canonical)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_body(index=-1), "index"),
        (_body(index=True), "index"),
        (_body(index="2"), "index"),
        (_body(index=None), "index"),
        (_body(prev=GENESIS_PREV.upper().replace("0", "A")), "prev"),
        (_body(prev="0" * 63), "prev"),
        (_body(prev=None), "prev"),
        (_body(payload=[]), "payload"),
        (_body(payload="x"), "payload"),
        (_body(payload=None), "payload"),
        (_body(type=None), "type"),
        (_body(time="2024-09-12T03:00:00Z"), "instant"),
        (_body(time="2024-09-12T03:00:00.000+00:00"), "instant"),
        (_body(time=None), "instant"),
        (_body(time=_DROP), "exactly the fields"),
        (_body(payload=_DROP), "exactly the fields"),
        (_body(extra=1), "exactly the fields"),
        ([1, 2], "exactly the fields"),
        ("entry", "exactly the fields"),
    ],
)
def test_parse_entry_refuses(body: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_entry(canonical_bytes(body))


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"{}",
        b'{"index":0}',
        b"\xff",
        b'{"index":1.5,"payload":{},"prev":"","time":"","type":""}',
        CHAIN[2].canonical.replace(b'"version":', b'"version":1.'),
    ],
)
def test_parse_entry_refuses_bytes(blob: bytes) -> None:
    with pytest.raises(FormatError):
        parse_entry(blob)


def test_make_entry_refuses_unsignable_payload() -> None:
    with pytest.raises(FormatError, match="floating-point"):
        make_entry(0, T0, "a:b", {"amount": 1.5}, GENESIS_PREV)
    with pytest.raises(FormatError, match="NFC"):
        make_entry(0, T0, "a:b", {"name": "De\u0301de\u0301"}, GENESIS_PREV)
    with pytest.raises(ValueError, match="naive"):
        make_entry(0, datetime(2024, 1, 1), "a:b", {}, GENESIS_PREV)
