"""Tests of registry.core.note and registry.core.tlog: Go's signed-note known answer, strict parsing, checkpoints, tlog-proof."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.core import merkle, note, tlog
from registry.core.errors import FormatError, IkrarError, NoteError, ProofError

# Known answer from golang.org/x/mod/sumdb/note (quoted in shared/reference/transparency-log.md).
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_PRIVATE_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_SIG_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
GO_SIG_LINE = f"\u2014 PeterNeumann {GO_SIG_B64}\n"
GO_NOTE = GO_TEXT + "\n" + GO_SIG_LINE

ORIGIN = "purbalinggakab.go.id/ikrar"


def make_signer(name: str, seed: str = "") -> note.NoteSigner:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256((seed or name).encode()).digest())
    return note.NoteSigner(name, key)


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def every_flip(data: bytes) -> Iterator[tuple[int, bytes]]:
    for bit in range(len(data) * 8):
        yield bit, flip(data, bit)


# --- keys and the Go known answer ---


def test_go_known_answer_sign_and_open() -> None:
    signer = note.parse_private_key_string(GO_PRIVATE_KEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert note.note_key_id("PeterNeumann", signer.public_key) == 0xC74F20A3
    assert signer.verifier_key() == GO_VERIFIER_KEY
    assert signer.sign_line(GO_TEXT) == GO_SIG_LINE
    assert note.sign_note(GO_TEXT, [signer]) == GO_NOTE

    verifier = note.parse_verifier_key(GO_VERIFIER_KEY)
    assert verifier == signer.verifier()
    assert (verifier.name, verifier.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert verifier.verifier_key() == GO_VERIFIER_KEY
    assert note.verifier_key(verifier.name, verifier.public_key) == GO_VERIFIER_KEY
    for encoded in (GO_NOTE, GO_NOTE.encode("utf-8")):
        assert note.open_note(encoded, [verifier]) == (GO_TEXT, [verifier])


def opens(data: bytes, verifier: note.NoteVerifier) -> bool:
    """Whether the note opens; only NoteError counts as a rejection."""
    try:
        note.open_note(data, [verifier])
    except NoteError:
        return False
    return True


def test_go_note_every_bit_flip_is_rejected() -> None:
    verifier = note.parse_verifier_key(GO_VERIFIER_KEY)
    raw = GO_NOTE.encode("utf-8")
    assert opens(raw, verifier)
    accepted = [bit for bit, mutated in every_flip(raw) if opens(mutated, verifier)]
    assert accepted == []


def test_verifier_key_every_bit_flip_is_rejected() -> None:
    # A flip in the name or key changes the hash the key ID must match; a flip in the ID,
    # a separator or the base64 breaks the format or the match.
    for _, mutated in every_flip(GO_VERIFIER_KEY.encode("ascii")):
        with pytest.raises(FormatError):
            note.parse_verifier_key(mutated.decode("utf-8", errors="replace"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
        "PeterNeumann+c74f20a3+ApAc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + b"\x00" * 31).decode(),
        "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + b"\x00" * 33).decode(),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
    ],
)
def test_parse_verifier_key_rejects(text: str) -> None:
    with pytest.raises(FormatError):
        note.parse_verifier_key(text)


def test_parse_private_key_string_rejects() -> None:
    for text in (
        GO_PRIVATE_KEY.replace("PRIVATE+KEY+", "PRIVATE+"),
        GO_PRIVATE_KEY.replace("c74f20a3", "c74f20a4"),
        GO_PRIVATE_KEY.replace("+AYEK", "+AoEK"),
        GO_PRIVATE_KEY[:-1],
    ):
        with pytest.raises(FormatError):
            note.parse_private_key_string(text)


def test_signer_and_verifier_validate_names_and_keys() -> None:
    key = Ed25519PrivateKey.generate()
    for name in ("", "a b", "a+b", "tab\there", "nl\nx", "nbsp\u00a0x", "del\x7f"):
        with pytest.raises(ValueError, match="key name"):
            note.NoteSigner(name, key)
        with pytest.raises(ValueError, match="key name"):
            note.NoteVerifier(name, b"\x00" * 32)
    with pytest.raises(ValueError, match="32 bytes"):
        note.NoteVerifier("ok", b"\x00" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        note.note_key_id("ok", b"\x00" * 33)


# --- signed notes ---


def test_sign_and_open_with_several_keys() -> None:
    log, witness, stranger = make_signer(ORIGIN), make_signer("witness.example"), make_signer("x.example")
    text = "first line\n\nafter a blank line, still text\n"
    signed = note.sign_note(text, [log, witness])
    assert signed.startswith(text + "\n")

    assert note.open_note(signed, [log.verifier()]) == (text, [log.verifier()])
    assert note.open_note(signed, [witness.verifier(), log.verifier()]) == (
        text,
        [log.verifier(), witness.verifier()],
    )
    with pytest.raises(NoteError, match="not signed by any known key"):
        note.open_note(signed, [stranger.verifier()])
    with pytest.raises(NoteError, match="not signed by any known key"):
        note.open_note(signed, [])


def test_unknown_signatures_are_ignored_but_must_be_well_formed() -> None:
    log = make_signer(ORIGIN)
    text = "hello\n"
    # Same name, different key: an unknown key (the ID differs), so ignored.
    impostor = make_signer(ORIGIN, seed="another key")
    assert impostor.key_id != log.key_id
    signed = note.sign_note(text, [impostor, log])
    assert note.open_note(signed, [log.verifier()]) == (text, [log.verifier()])
    with pytest.raises(NoteError, match="not signed by any known key"):
        note.open_note(note.sign_note(text, [impostor]), [log.verifier()])

    garbage_line = "\u2014 somebody.example !!!notbase64\n"
    with pytest.raises(NoteError, match="base64"):
        note.open_note(signed + garbage_line, [log.verifier()])


def test_bad_signature_by_known_key_rejects_the_note() -> None:
    log = make_signer(ORIGIN)
    good = log.sign_line("hello\n")
    forged = log.sign_line("hullo\n")  # right key, signature over other text
    for lines in ([forged], [good, forged], [forged, good], [good, good, forged]):
        with pytest.raises(NoteError, match="invalid signature"):
            note.open_note("hello\n\n" + "".join(lines), [log.verifier()])
    assert note.open_note("hello\n\n" + good + good, [log.verifier()]) == ("hello\n", [log.verifier()])

    blob = log.key_id.to_bytes(4, "big") + b"\x00" * 63
    short = f"\u2014 {ORIGIN} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(NoteError, match="63 bytes"):
        note.open_note("hello\n\n" + short, [log.verifier()])


def test_ambiguous_verifiers_are_a_configuration_error() -> None:
    a, b = make_signer("k"), make_signer("k", seed="other")
    forged = note.NoteVerifier("k", b.public_key)
    object.__setattr__(forged, "key_id", a.key_id)  # simulate a key ID collision
    with pytest.raises(ValueError, match="share"):
        note.open_note(note.sign_note("x\n", [a]), [a.verifier(), forged])


def test_signature_line_limits() -> None:
    log = make_signer(ORIGIN)
    text = "hello\n"
    unknown = make_signer("unknown.example").sign_line(text)
    at_limit = text + "\n" + unknown * (note.MAX_SIGNATURES - 1) + log.sign_line(text)
    assert note.open_note(at_limit, [log.verifier()])[0] == text
    over = text + "\n" + unknown * note.MAX_SIGNATURES + log.sign_line(text)
    with pytest.raises(NoteError, match="more than 100"):
        note.open_note(over, [log.verifier()])

    big_text = "x" * 80 + "\n"
    huge = big_text * (note.MAX_NOTE_SIZE // len(big_text) + 1)
    with pytest.raises(ValueError, match="exceed"):
        note.sign_note(huge, [log])
    with pytest.raises(NoteError, match="larger than"):
        note.open_note(huge + "\n" + log.sign_line(huge), [log.verifier()])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda n: n.replace("\n\n", "\n"), "no blank line"),
        (lambda n: n[:-1], "end with a newline"),
        (lambda n: n + "\n", "no signature lines"),
        (lambda n: n.replace("\u2014 ", "- "), "em dash"),
        (lambda n: n.replace("\u2014 ", "\u2014"), "em dash"),
        (lambda n: n.replace("\u2014 PeterNeumann ", "\u2014 PeterNeumann"), "key name"),
        (lambda n: n.replace("\u2014 PeterNeumann", "\u2014 "), "key name"),
        (lambda n: n.replace("nAM=", "nAN="), "canonical"),
        (lambda n: n.replace("nAM=", "nAM"), "base64"),
        (lambda n: n.replace("x08go", "x08g\u00f6"), "base64"),
        (lambda n: n.replace(GO_SIG_B64, "AAAA"), "too short"),
        (lambda n: n.replace("problem,\n", "problem,\r\n"), "control character"),
        (lambda n: n.replace("problem,", "problem,\t"), "control character"),
        (lambda n: n.replace("\n", "\r\n"), "control character"),
        (lambda n: n + "\u2014 a\n", "key name"),
    ],
)  # fmt: skip
def test_malformed_notes_are_rejected_precisely(mutate: Callable[[str], str], message: str) -> None:
    verifier = note.parse_verifier_key(GO_VERIFIER_KEY)
    with pytest.raises(NoteError, match=message):
        note.open_note(mutate(GO_NOTE), [verifier])


def test_invalid_encodings_are_rejected() -> None:
    verifier = note.parse_verifier_key(GO_VERIFIER_KEY)
    with pytest.raises(NoteError, match="UTF-8"):
        note.open_note(GO_NOTE.encode() + b"\xff", [verifier])
    with pytest.raises(NoteError, match="Unicode"):
        note.open_note("\ud800" + GO_NOTE, [verifier])


@pytest.mark.parametrize("text", ["no newline", "tab\there\n", "cr\r\n", "nul\x00\n", "\ud800\n"])
def test_sign_note_rejects_invalid_text(text: str) -> None:
    with pytest.raises(FormatError):
        note.sign_note(text, [make_signer("a")])


def test_sign_note_rejects_bad_signer_lists() -> None:
    signer = make_signer("a")
    with pytest.raises(ValueError, match="at least one"):
        note.sign_note("x\n", [])
    with pytest.raises(ValueError, match="only once"):
        note.sign_note("x\n", [signer, signer])


# --- checkpoints ---


def test_checkpoint_round_trip() -> None:
    root = hashlib.sha256(b"root").digest()
    for checkpoint in (
        tlog.Checkpoint(ORIGIN, 0, merkle.EMPTY_ROOT),
        tlog.Checkpoint(ORIGIN, 20852163, root),
        tlog.Checkpoint(ORIGIN, (1 << 64) - 1, root, ("ext one", "ext \u2014 two")),
    ):
        text = checkpoint.to_text()
        assert tlog.Checkpoint.parse(text) == checkpoint
    text = tlog.Checkpoint(ORIGIN, 5, root, ("x",)).to_text()
    assert text == f"{ORIGIN}\n5\n{base64.b64encode(root).decode()}\nx\n"


ROOT_B64 = base64.b64encode(hashlib.sha256(b"root").digest()).decode()
URLSAFE_ROOT_B64 = base64.urlsafe_b64encode(b"\xff" * 32).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n01\n{ROOT_B64}\n",
        f"{ORIGIN}\n00\n{ROOT_B64}\n",
        f"{ORIGIN}\n-1\n{ROOT_B64}\n",
        f"{ORIGIN}\n+1\n{ROOT_B64}\n",
        f"{ORIGIN}\n 1\n{ROOT_B64}\n",
        f"{ORIGIN}\n1 \n{ROOT_B64}\n",
        f"{ORIGIN}\n1_000\n{ROOT_B64}\n",
        f"{ORIGIN}\n\u0661\n{ROOT_B64}\n",
        f"{ORIGIN}\n0x10\n{ROOT_B64}\n",
        f"{ORIGIN}\n18446744073709551616\n{ROOT_B64}\n",
        f"{ORIGIN}\n\n{ROOT_B64}\n",
        f"{ORIGIN}\n5\n{ROOT_B64}",
        f"{ORIGIN}\n5\n",
        f"{ORIGIN}\n5\n{ROOT_B64}\n\n",
        f"{ORIGIN}\n5\n{ROOT_B64}\n\next\n",
        f"\n5\n{ROOT_B64}\n",
        f"{ORIGIN}\t\n5\n{ROOT_B64}\n",
        f"{ORIGIN}\n5\n{ROOT_B64[:-1]}\n",
        f"{ORIGIN}\n5\n{ROOT_B64[:-2]}==\n",
        f"{ORIGIN}\n5\n{ROOT_B64} \n",
        f"{ORIGIN}\n5\n{base64.b64encode(b'x' * 31).decode()}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(b'x' * 33).decode()}\n",
        f"{ORIGIN}\n5\n{URLSAFE_ROOT_B64}\n",
        f"{ORIGIN}\r\n5\n{ROOT_B64}\n",
    ],
)
def test_checkpoint_parse_is_strict(text: str) -> None:
    with pytest.raises(FormatError):
        tlog.Checkpoint.parse(text)


def test_checkpoint_rejects_non_canonical_root_encoding() -> None:
    root = bytes(32)  # base64 "AAAA...AAA=", the last symbol carries 2 unused bits
    canonical = base64.b64encode(root).decode()
    assert canonical.endswith("A=")
    tlog.Checkpoint.parse(f"{ORIGIN}\n1\n{canonical}\n")
    with pytest.raises(FormatError, match="canonical"):
        tlog.Checkpoint.parse(f"{ORIGIN}\n1\n{canonical[:-2]}B=\n")


def _signed_checkpoint() -> tuple[str, note.NoteVerifier, str, str]:
    """A signed checkpoint, its verifier, and its note split before the signature's base64."""
    signer = make_signer(ORIGIN)
    signed = tlog.sign_checkpoint(tlog.Checkpoint(ORIGIN, 5, hashlib.sha256(b"root").digest()), signer)
    head, _, encoded = signed.rstrip("\n").rpartition(" ")
    return signed, signer.verifier(), head + " ", encoded


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def test_signature_line_base64_must_be_canonical() -> None:
    """§8: the signature line's base64 is standard, padded and canonical: a mutated last symbol
    that lenient decoders read as the same 68 bytes is refused, as are whitespace and odd padding."""
    signed, verifier, head, encoded = _signed_checkpoint()
    assert tlog.open_checkpoint(signed, verifier, ORIGIN).size == 5
    # 68 bytes = 22 groups of 3 + 2 bytes: "xyz=" where z carries 4 data bits and 2 unused bits.
    assert len(encoded) == 92 and encoded.endswith("=") and not encoded.endswith("==")
    last = B64.index(encoded[-2])
    assert last & 0b11 == 0  # canonical: the unused bits are zero
    blob = base64.b64decode(encoded)
    for unused in (1, 2, 3):
        mutated = encoded[:-2] + B64[last | unused] + "="
        # Lenient decoders ignore the unused bits: the same key id and signature come out.
        assert base64.b64decode(mutated) == blob
        assert base64.b64decode(mutated, validate=True) == blob
        with pytest.raises(NoteError, match="signature line 1: signature is not canonical base64"):
            tlog.open_checkpoint(head + mutated + "\n", verifier, ORIGIN)
    spellings = {
        "no padding": encoded[:-1],
        "extra padding": encoded + "=",
        "space inside": encoded[:40] + " " + encoded[40:],
        "tab inside": encoded[:40] + "\t" + encoded[40:],
        "trailing space": encoded + " ",
        "URL alphabet": encoded.replace("+", "-").replace("/", "_") if set("+/") & set(encoded) else None,
    }
    for name, spelling in spellings.items():
        if spelling is None:
            continue
        with pytest.raises(NoteError, match=r"base64|control character") as refused:
            tlog.open_checkpoint(head + spelling + "\n", verifier, ORIGIN)
        assert refused.value, name


def test_go_known_answer_with_mutated_unused_bits_is_refused() -> None:
    # The example of FORMATS.md §8: "…nAM=" is canonical; N, O, P differ only in unused bits.
    assert GO_SIG_B64.endswith("nAM=")
    verifier = note.parse_verifier_key(GO_VERIFIER_KEY)
    assert note.open_note(GO_NOTE, [verifier])[0] == GO_TEXT
    for symbol in "NOP":
        mutated = GO_SIG_B64[:-2] + symbol + "="
        assert base64.b64decode(mutated, validate=True) == base64.b64decode(GO_SIG_B64)
        with pytest.raises(NoteError, match="not canonical base64"):
            note.open_note(GO_NOTE.replace(GO_SIG_B64, mutated), [verifier])


def test_checkpoint_constructor_validates() -> None:
    root = bytes(32)
    for args in [
        ("", 1, root),
        ("o", -1, root),
        ("o", 1 << 64, root),
        ("o", 1, root[:31]),
        ("a\nb", 1, root),
    ]:
        with pytest.raises(FormatError):
            tlog.Checkpoint(*args)
    with pytest.raises(FormatError):
        tlog.Checkpoint("o", 1, root, ("",))


def test_sign_and_open_checkpoint() -> None:
    log = make_signer(ORIGIN)
    checkpoint = tlog.Checkpoint(ORIGIN, 7, hashlib.sha256(b"r").digest())
    signed = tlog.sign_checkpoint(checkpoint, log)
    assert signed.startswith(checkpoint.to_text() + "\n\u2014 " + ORIGIN + " ")
    assert tlog.open_checkpoint(signed, log.verifier(), ORIGIN) == checkpoint

    other_log = make_signer("other.example/log")
    with pytest.raises(ValueError, match="differs from checkpoint origin"):
        tlog.sign_checkpoint(checkpoint, other_log)
    # The caller expects another origin: the verifier's name does not match it.
    with pytest.raises(NoteError, match="differs from origin"):
        tlog.open_checkpoint(signed, log.verifier(), "other.example/log")
    # Right origin, but the note is signed only by a key we do not know.
    with pytest.raises(NoteError, match="not signed by any known key"):
        tlog.open_checkpoint(signed, make_signer(ORIGIN, seed="rotated").verifier(), ORIGIN)
    # Signed by the right key, but the origin line names another log.
    foreign = note.sign_note(tlog.Checkpoint("other.example/log", 7, checkpoint.root_hash).to_text(), [log])
    with pytest.raises(NoteError, match="origin"):
        tlog.open_checkpoint(foreign, log.verifier(), ORIGIN)
    # Signed by the right key, but not a checkpoint.
    with pytest.raises(NoteError, match="malformed"):
        tlog.open_checkpoint(note.sign_note(f"{ORIGIN}\n07\nxx\n", [log]), log.verifier(), ORIGIN)


# --- tlog-proof receipts ---


class Log:
    """A small in-memory log: leaves, stored nodes and a signing key."""

    def __init__(self, entries: Sequence[bytes]) -> None:
        self.entries = list(entries)
        self.nodes: dict[merkle.NodeKey, bytes] = {}
        frontier = merkle.Frontier.empty()
        for entry in entries:
            frontier, created = frontier.append(merkle.leaf_hash(entry))
            self.nodes.update(((level, index), h) for level, index, h in created)
        self.frontier = frontier
        self.signer = make_signer(ORIGIN)

    def fetch(self, keys: Sequence[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        return {key: self.nodes[key] for key in keys}

    def receipt(self, index: int, extra: bytes | None = None) -> tlog.TlogProof:
        size = len(self.entries)
        checkpoint = tlog.Checkpoint(ORIGIN, size, merkle.root_hash(size, self.fetch))
        assert checkpoint.root_hash == self.frontier.root()
        return tlog.TlogProof(
            index,
            tuple(merkle.inclusion_proof(index, size, self.fetch)),
            tlog.sign_checkpoint(checkpoint, self.signer),
            extra,
        )


LOG = Log([f"ikrar entry {i}".encode() for i in range(13)])


def test_tlog_proof_round_trip_and_verify() -> None:
    verifier = LOG.signer.verifier()
    for index in range(13):
        for extra in (None, b"\x00context\xff"):
            proof = LOG.receipt(index, extra)
            text = proof.to_text()
            assert text.startswith("c2sp.org/tlog-proof@v1\n" + ("extra " if extra else "index "))
            parsed = tlog.TlogProof.parse(text)
            assert parsed == proof
            assert tlog.TlogProof.parse(text.encode("utf-8")) == proof
            checkpoint = tlog.verify_tlog_proof(parsed, LOG.entries[index], verifier, ORIGIN)
            assert (checkpoint.origin, checkpoint.size) == (ORIGIN, 13)
            with pytest.raises(ProofError):
                tlog.verify_tlog_proof(parsed, LOG.entries[(index + 1) % 13], verifier, ORIGIN)


def test_tlog_proof_layout() -> None:
    proof = LOG.receipt(5, b"hi")
    lines = proof.to_text().split("\n")
    assert lines[:3] == ["c2sp.org/tlog-proof@v1", "extra aGk=", "index 5"]
    assert lines[3 : 3 + len(proof.hashes)] == [base64.b64encode(h).decode() for h in proof.hashes]
    assert lines[3 + len(proof.hashes)] == ""
    assert proof.to_text().endswith("\n\n" + proof.checkpoint_note)


def receipt_verifies(data: bytes, entry: bytes) -> bool:
    """Whether the receipt parses and verifies; only Ikrar's own errors count as rejections."""
    try:
        tlog.verify_tlog_proof(tlog.TlogProof.parse(data), entry, LOG.signer.verifier(), ORIGIN)
    except IkrarError:
        return False
    return True


def test_tlog_proof_every_bit_flip_is_rejected() -> None:
    raw = LOG.receipt(5).to_text().encode("utf-8")
    assert receipt_verifies(raw, LOG.entries[5])
    accepted = [bit for bit, mutated in every_flip(raw) if receipt_verifies(mutated, LOG.entries[5])]
    assert accepted == []


def test_tlog_proof_extra_is_not_authenticated() -> None:
    verifier = LOG.signer.verifier()
    original = LOG.receipt(5, b"context")
    raw = original.to_text().encode("utf-8")
    start = raw.index(b"extra ") + len(b"extra ")
    end = raw.index(b"\n", start)
    for bit in range(start * 8, end * 8):
        try:
            parsed = tlog.TlogProof.parse(flip(raw, bit))
        except FormatError:
            continue
        # A receipt with altered extra data still verifies: extra is opaque, and callers
        # must not trust it. Only the extra field itself may differ.
        assert parsed.extra != original.extra
        assert (parsed.index, parsed.hashes, parsed.checkpoint_note) == (
            original.index,
            original.hashes,
            original.checkpoint_note,
        )
        tlog.verify_tlog_proof(parsed, LOG.entries[5], verifier, ORIGIN)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        lambda t: t.replace("index 5", "index 05"),
        lambda t: t.replace("index 5", "index -5"),
        lambda t: t.replace("index 5", "index  5"),
        lambda t: t.replace("index 5", "Index 5"),
        lambda t: t.replace("index 5\n", ""),
        lambda t: t.replace("index 5", "index 18446744073709551616"),
        lambda t: t.replace("index 5\n", "index 5\n\n"),
        lambda t: t.replace("index 5\n", "index 5\nAAAA\n"),
        lambda t: t.replace("index 5\n", "index 5\n" + base64.b64encode(b"x" * 33).decode() + "\n"),
        lambda t: t.replace("index 5\n", "extra \nindex 5\n"),
        lambda t: t.replace("index 5\n", "extra !!\nindex 5\n"),
        lambda t: t.replace("index 5\n", "index 5\nextra aGk=\n"),
        lambda t: t.split("\n\n", 1)[0] + "\n\n",
        lambda t: t.split("\n\n", 1)[0],
        lambda t: t.replace("\n\n", "\n", 1),
    ],
)
def test_tlog_proof_parse_is_strict(mutate: Callable[[str], str]) -> None:
    text = LOG.receipt(5).to_text()
    with pytest.raises(FormatError):
        tlog.TlogProof.parse(mutate(text))


def test_tlog_proof_parse_rejects_too_many_hashes_and_bad_utf8() -> None:
    text = LOG.receipt(5).to_text()
    padded = text.replace("index 5\n", "index 5\n" + (base64.b64encode(bytes(32)).decode() + "\n") * 65)
    with pytest.raises(FormatError, match="more than 64"):
        tlog.TlogProof.parse(padded)
    with pytest.raises(FormatError, match="UTF-8"):
        tlog.TlogProof.parse(text.encode() + b"\xc3")


def test_tlog_proof_wrong_key_or_origin() -> None:
    proof = LOG.receipt(3)
    stranger = make_signer(ORIGIN, seed="not the log key").verifier()
    with pytest.raises(NoteError):
        tlog.verify_tlog_proof(proof, LOG.entries[3], stranger, ORIGIN)
    with pytest.raises(NoteError):
        tlog.verify_tlog_proof(proof, LOG.entries[3], LOG.signer.verifier(), "elsewhere.example")
