"""Sign and open C2SP signed notes, and read and write tlog checkpoints and tlog-proof receipts.

Formats: c2sp.org/signed-note (Ed25519, signature type 0x01), c2sp.org/tlog-checkpoint and
c2sp.org/tlog-proof@v1. Parsing is strict because the input is hostile: every base64
field must be the canonical standard encoding (so a flipped bit in padding is not
silently ignored), numbers are ASCII decimal without sign or leading zeros and below
2**64, a note may not exceed ``MAX_NOTE_SIZE`` bytes or ``MAX_SIGNATURES`` signature
lines.

Errors: parsing text that is not in the documented format raises ``FormatError``;
``open_note``, ``open_checkpoint`` and ``verify_tlog_proof`` raise ``NoteError`` for every
problem with the note or checkpoint (malformed, wrong origin, bad or missing signature)
and ``ProofError`` for a bad inclusion proof; they return normally only on success.
Signing with arguments the format cannot carry raises ``ValueError``.

Opening a note follows the spec: signatures whose (key name, key ID) pair matches no
given verifier are ignored; every signature that matches one is verified, and one bad
signature rejects the whole note (even if another verifies); at least one must verify.
A signature line must be well formed even when its key is unknown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from registry.core.errors import FormatError, NoteError
from registry.core.merkle import HASH_SIZE, leaf_hash, verify_inclusion

__all__ = [
    "MAX_NOTE_SIZE",
    "MAX_SIGNATURES",
    "SIG_TYPE_ED25519",
    "TLOG_PROOF_HEADER",
    "Checkpoint",
    "NoteSigner",
    "NoteVerifier",
    "TlogProof",
    "note_key_id",
    "open_checkpoint",
    "open_note",
    "parse_private_key_string",
    "parse_verifier_key",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
    "verify_tlog_proof",
]

SIG_TYPE_ED25519 = 0x01
MAX_NOTE_SIZE = 1 << 20
# The spec demands at least 16; 100 is what Go's sumdb/note allows.
MAX_SIGNATURES = 100
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"

_ED25519_KEY_SIZE = 32
_ED25519_SIG_SIZE = 64
_MAX_UINT64 = (1 << 64) - 1
# A tree of at most 2**64 leaves has inclusion proofs of at most 64 hashes.
_MAX_PROOF_HASHES = 64
_SIG_PREFIX = "\u2014 "  # em dash, space
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


def _b64decode(text: str, what: str) -> bytes:
    """Decode canonical standard base64 or raise FormatError."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise FormatError(f"{what} is not valid base64") from None
    # b64decode ignores the unused low bits of the last symbol; re-encoding catches
    # encodings that differ from the canonical one only there.
    if base64.b64encode(data).decode("ascii") != text:
        raise FormatError(f"{what} is not canonical base64")
    return data


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse_uint64(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise FormatError(f"{what} {text[:40]!r} is not a decimal number without leading zeros")
    value = int(text)
    if value > _MAX_UINT64:
        raise FormatError(f"{what} {text[:40]!r} does not fit in 64 bits")
    return value


def _is_valid_key_name(name: str) -> bool:
    """Spec rule (non-empty, no Unicode space, no '+'), plus no control or surrogate code point."""
    return bool(name) and not any(
        ch == "+" or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in name
    )


def _check_key_name(name: str) -> None:
    if not isinstance(name, str) or not _is_valid_key_name(name):
        raise ValueError(f"invalid note key name {name!r}")


def note_key_id(name: str, public_key: bytes) -> int:
    """Return the key ID: the first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || key)."""
    if len(public_key) != _ED25519_KEY_SIZE:
        raise ValueError(f"an Ed25519 public key is {_ED25519_KEY_SIZE} bytes")
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([SIG_TYPE_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def verifier_key(name: str, public_key: bytes) -> str:
    """Return the verifier key string ``name+<key id hex>+base64(0x01 || public key)``."""
    _check_key_name(name)
    key_id = note_key_id(name, public_key)
    return f"{name}+{key_id:08x}+{_b64encode(bytes([SIG_TYPE_ED25519]) + public_key)}"


@dataclass(frozen=True)
class NoteVerifier:
    """A known Ed25519 note key: its name, its 32-byte public key and the derived key ID."""

    name: str
    public_key: bytes
    key_id: int = field(init=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _ED25519_KEY_SIZE:
            raise ValueError(f"an Ed25519 public key is {_ED25519_KEY_SIZE} bytes")
        object.__setattr__(self, "key_id", note_key_id(self.name, self.public_key))
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    def verifier_key(self) -> str:
        """Return this key as a verifier key string."""
        return verifier_key(self.name, self.public_key)

    def verify(self, text: bytes, signature: bytes) -> None:
        """Check an Ed25519 signature (without the key ID prefix) over the note text bytes."""
        if len(signature) != _ED25519_SIG_SIZE:
            raise NoteError(
                f"signature by {self.name}+{self.key_id:08x} is {len(signature)} bytes, "
                f"expected {_ED25519_SIG_SIZE}"
            )
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            raise NoteError(f"invalid signature by {self.name}+{self.key_id:08x}") from None


def parse_verifier_key(text: str) -> NoteVerifier:
    """Parse ``name+XXXXXXXX+base64(0x01 || key)``; raise FormatError unless fully valid."""
    # The base64 part may itself contain '+', and the name may not, so split twice only.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise FormatError("verifier key must be name+keyid+key")
    name, key_id_hex, key_b64 = parts
    if not _is_valid_key_name(name):
        raise FormatError(f"invalid key name {name!r} in verifier key")
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        raise FormatError("key ID in verifier key must be 8 lowercase hex digits")
    key = _b64decode(key_b64, "verifier key")
    if len(key) != 1 + _ED25519_KEY_SIZE:
        raise FormatError(f"verifier key must hold 1 + {_ED25519_KEY_SIZE} bytes")
    if key[0] != SIG_TYPE_ED25519:
        raise FormatError(f"unsupported signature type 0x{key[0]:02x} in verifier key")
    try:
        verifier = NoteVerifier(name, key[1:])
    except ValueError as exc:
        raise FormatError(f"unusable public key in verifier key: {exc}") from None
    if verifier.key_id != int(key_id_hex, 16):
        raise FormatError("key ID in verifier key does not match the key")
    return verifier


class NoteSigner:
    """An Ed25519 note signing key with its key name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_key_name(name)
        self._name = name
        self._private_key = private_key
        public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._verifier = NoteVerifier(name, public)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    @property
    def public_key(self) -> bytes:
        return self._verifier.public_key

    def verifier(self) -> NoteVerifier:
        """Return the matching verifier."""
        return self._verifier

    def verifier_key(self) -> str:
        """Return the matching verifier key string."""
        return self._verifier.verifier_key()

    def sign_line(self, text: str) -> str:
        """Sign the note text; return its signature line ``— name base64(keyid || sig)\\n``."""
        _check_note_text(text)
        signature = self._private_key.sign(text.encode("utf-8"))
        blob = self.key_id.to_bytes(4, "big") + signature
        return f"{_SIG_PREFIX}{self._name} {_b64encode(blob)}\n"

    def __repr__(self) -> str:
        return f"NoteSigner({self._name!r}, key_id={self.key_id:08x})"


def parse_private_key_string(text: str) -> NoteSigner:
    """Parse Go's ``PRIVATE+KEY+name+keyid+base64(0x01 || seed)`` signer key format."""
    prefix = "PRIVATE+KEY+"
    if not text.startswith(prefix):
        raise FormatError("private key string must start with PRIVATE+KEY+")
    parts = text[len(prefix) :].split("+", 2)
    if len(parts) != 3:
        raise FormatError("private key string must be PRIVATE+KEY+name+keyid+key")
    name, key_id_hex, key_b64 = parts
    if not _is_valid_key_name(name):
        raise FormatError(f"invalid key name {name!r} in private key string")
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        raise FormatError("key ID in private key string must be 8 lowercase hex digits")
    key = _b64decode(key_b64, "private key")
    if len(key) != 1 + _ED25519_KEY_SIZE or key[0] != SIG_TYPE_ED25519:
        raise FormatError("private key must be 0x01 followed by a 32-byte Ed25519 seed")
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(key[1:]))
    if signer.key_id != int(key_id_hex, 16):
        raise FormatError("key ID in private key string does not match the key")
    return signer


def _check_note_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise FormatError("note text must end with a newline")
    if _CONTROL.search(text):
        raise FormatError("note text must not contain control characters other than newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError("note text is not valid Unicode") from None


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Return the signed note: ``text``, a blank line, one signature line per signer."""
    _check_note_text(text)
    if not signers:
        raise ValueError("a signed note needs at least one signer")
    if len(signers) > MAX_SIGNATURES:
        raise ValueError(f"a signed note may carry at most {MAX_SIGNATURES} signatures")
    if len({(s.name, s.key_id) for s in signers}) != len(signers):
        raise ValueError("the same key may sign a note only once")
    note = text + "\n" + "".join(s.sign_line(text) for s in signers)
    if len(note.encode("utf-8")) > MAX_NOTE_SIZE:
        raise ValueError(f"signed note would exceed {MAX_NOTE_SIZE} bytes")
    return note


def _parse_note(note: str | bytes) -> tuple[str, list[tuple[str, int, bytes]]]:
    """Split a signed note into its text and (key name, key ID, signature) triples.

    Checks the whole syntax, the size limits and every signature line, known key or not;
    verifies nothing. Raises ``NoteError``.
    """
    if isinstance(note, str):
        try:
            raw = note.encode("utf-8")
        except UnicodeEncodeError:
            raise NoteError("note is not valid Unicode") from None
    else:
        raw = bytes(note)
    if len(raw) > MAX_NOTE_SIZE:
        raise NoteError(f"note is larger than {MAX_NOTE_SIZE} bytes")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("note is not valid UTF-8") from None
    if _CONTROL.search(decoded):
        raise NoteError("note contains a control character other than newline")

    split = decoded.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, sig_block = decoded[: split + 1], decoded[split + 2 :]
    if not sig_block:
        raise NoteError("note has no signature lines")
    if not sig_block.endswith("\n"):
        raise NoteError("note does not end with a newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signature lines")

    signatures: list[tuple[str, int, bytes]] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIG_PREFIX):
            raise NoteError(f"signature line {number} does not start with an em dash and a space")
        name, space, sig_b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not space or not _is_valid_key_name(name):
            raise NoteError(f"signature line {number} has no valid key name")
        try:
            blob = _b64decode(sig_b64, "signature")
        except FormatError as exc:
            raise NoteError(f"signature line {number}: {exc}") from None
        if len(blob) < 5:
            raise NoteError(f"signature line {number} is too short to hold a key ID and signature")
        signatures.append((name, int.from_bytes(blob[:4], "big"), blob[4:]))
    return text, signatures


def open_note(note: str | bytes, verifiers: Sequence[NoteVerifier]) -> tuple[str, list[NoteVerifier]]:
    """Verify a signed note; return its text and the verifiers whose signature verified.

    Raises ``NoteError`` if the note is malformed, if a signature by a known key is
    invalid, or if no known key signed it.
    """
    known: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        if known.setdefault((v.name, v.key_id), v) != v:
            # Two different keys under one (name, key ID) would make the verdict depend
            # on list order; that is a configuration error, not a property of the note.
            raise ValueError(f"two verifier keys share the name and ID {v.name}+{v.key_id:08x}")
    text, signatures = _parse_note(note)
    text_bytes = text.encode("utf-8")
    verified: list[NoteVerifier] = []
    for name, key_id, signature in signatures:
        verifier = known.get((name, key_id))
        if verifier is None:
            continue
        # Verify every signature by a known key, repeated ones included: a single
        # invalid one means the note was tampered with or the key was misused.
        verifier.verify(text_bytes, signature)
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise NoteError("note is not signed by any known key")
    return text, verified


def _check_line(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise FormatError(f"{what} must be a non-empty string")
    if "\n" in value or _CONTROL.search(value):
        raise FormatError(f"{what} must be a single line without control characters")


@dataclass(frozen=True)
class Checkpoint:
    """The text of a c2sp.org/tlog-checkpoint: origin, tree size, root hash, extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise FormatError("checkpoint tree size must be an integer")
        if not 0 <= self.size <= _MAX_UINT64:
            raise FormatError("checkpoint tree size must be between 0 and 2**64 - 1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise FormatError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        extensions = tuple(self.extensions)
        for line in extensions:
            _check_line(line, "checkpoint extension line")
        object.__setattr__(self, "extensions", extensions)

    def to_text(self) -> str:
        """Return the note text (every line ending in a newline)."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text strictly; raise FormatError on any deviation."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise FormatError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise FormatError("checkpoint text needs origin, size and root hash lines")
        if any(not line for line in lines):
            raise FormatError("checkpoint text must not contain empty lines")
        origin, size_text, root_b64, *extensions = lines
        size = _parse_uint64(size_text, "checkpoint tree size")
        root = _b64decode(root_b64, "checkpoint root hash")
        if len(root) != HASH_SIZE:
            raise FormatError(f"checkpoint root hash is {len(root)} bytes, expected {HASH_SIZE}")
        return cls(origin, size, root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """Return the checkpoint as a note signed by the log key, whose name must be the origin."""
    if signer.name != checkpoint.origin:
        raise ValueError(f"log key name {signer.name!r} differs from checkpoint origin {checkpoint.origin!r}")
    return sign_note(checkpoint.to_text(), [signer])


def open_checkpoint(note: str | bytes, verifier: NoteVerifier, origin: str) -> Checkpoint:
    """Verify a signed checkpoint of the log ``origin``, whose key name must be ``origin`` too."""
    if verifier.name != origin:
        raise NoteError(f"log key name {verifier.name!r} differs from origin {origin!r}")
    text, _ = open_note(note, [verifier])
    try:
        checkpoint = Checkpoint.parse(text)
    except FormatError as exc:
        raise NoteError(f"signed checkpoint is malformed: {exc}") from None
    if checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint


@dataclass(frozen=True)
class TlogProof:
    """A c2sp.org/tlog-proof@v1 receipt: leaf index, inclusion proof, signed checkpoint.

    ``extra`` is opaque and NOT authenticated by anything; ``None`` means no extra line.
    ``checkpoint_note`` must be a well-formed signed checkpoint; its signature is checked
    only by ``verify_tlog_proof``, with the log's key.
    """

    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int):
            raise FormatError("proof index must be an integer")
        if not 0 <= self.index <= _MAX_UINT64:
            raise FormatError("proof index must be between 0 and 2**64 - 1")
        hashes = tuple(self.hashes)
        if len(hashes) > _MAX_PROOF_HASHES:
            raise FormatError(f"inclusion proof has more than {_MAX_PROOF_HASHES} hashes")
        for h in hashes:
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise FormatError(f"inclusion proof hashes must be {HASH_SIZE} bytes")
        object.__setattr__(self, "hashes", hashes)
        if not isinstance(self.checkpoint_note, str) or not self.checkpoint_note:
            raise FormatError("proof must include the signed checkpoint")
        try:
            # Syntax only: the signature is checked by verify_tlog_proof with the log key.
            Checkpoint.parse(_parse_note(self.checkpoint_note)[0])
        except (NoteError, FormatError) as exc:
            raise FormatError(f"proof's checkpoint is malformed: {exc}") from None
        if self.extra is not None and (not isinstance(self.extra, bytes) or not self.extra):
            # An empty extra line would read back ambiguously; absent is spelled None.
            raise FormatError("extra data must be non-empty bytes or None")

    def to_text(self) -> str:
        """Return the receipt file contents."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + _b64encode(self.extra))
        lines.append(f"index {self.index}")
        lines.extend(_b64encode(h) for h in self.hashes)
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint_note

    @classmethod
    def parse(cls, text: str | bytes) -> TlogProof:
        """Parse a receipt strictly; raise FormatError on any deviation."""
        if isinstance(text, bytes):
            if len(text) > 2 * MAX_NOTE_SIZE:
                raise FormatError("proof is too large")
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError("proof is not valid UTF-8") from None
        elif len(text) > 2 * MAX_NOTE_SIZE:
            raise FormatError("proof is too large")
        # The proof lines are non-empty, so the first blank line ends them and the
        # checkpoint note (which has blank lines of its own) follows verbatim.
        head, blank, checkpoint_note = text.partition("\n\n")
        if not blank:
            raise FormatError("proof has no blank line before the checkpoint")
        lines = head.split("\n")
        if lines[0] != TLOG_PROOF_HEADER:
            raise FormatError(f"proof does not start with {TLOG_PROOF_HEADER}")
        position = 1
        extra: bytes | None = None
        if position < len(lines) and lines[position].startswith("extra "):
            extra = _b64decode(lines[position][len("extra ") :], "extra data")
            if not extra:
                raise FormatError("extra line holds no data")
            position += 1
        if position >= len(lines) or not lines[position].startswith("index "):
            raise FormatError("proof has no index line")
        index = _parse_uint64(lines[position][len("index ") :], "proof index")
        hash_lines = lines[position + 1 :]
        if len(hash_lines) > _MAX_PROOF_HASHES:
            raise FormatError(f"inclusion proof has more than {_MAX_PROOF_HASHES} hashes")
        hashes = []
        for number, line in enumerate(hash_lines):
            h = _b64decode(line, f"proof hash {number}")
            if len(h) != HASH_SIZE:
                raise FormatError(f"proof hash {number} is {len(h)} bytes, expected {HASH_SIZE}")
            hashes.append(h)
        if not checkpoint_note:
            raise FormatError("proof has no checkpoint")
        return cls(index, tuple(hashes), checkpoint_note, extra)


def verify_tlog_proof(proof: TlogProof, leaf_bytes: bytes, verifier: NoteVerifier, origin: str) -> Checkpoint:
    """Check offline that ``leaf_bytes`` is entry ``proof.index`` of the log ``origin``.

    Opens the checkpoint with the log's key, then verifies the inclusion of
    ``leaf_hash(leaf_bytes)``. Returns the verified checkpoint; raises ``NoteError`` or
    ``ProofError``. ``proof.extra`` is not checked.
    """
    checkpoint = open_checkpoint(proof.checkpoint_note, verifier, origin)
    verify_inclusion(leaf_hash(leaf_bytes), proof.index, checkpoint.size, proof.hashes, checkpoint.root_hash)
    return checkpoint
