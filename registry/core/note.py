"""Sign and open C2SP signed notes; the strict field syntax the log's note formats share.

Format: c2sp.org/signed-note (Ed25519, signature type 0x01); the checkpoints and receipts
signed as notes are in :mod:`registry.core.tlog`. Parsing is strict because the input is hostile: every base64
field must be the canonical standard encoding (so a flipped bit in padding is not
silently ignored), numbers are ASCII decimal without sign or leading zeros and below
2**64, a note may not exceed ``MAX_NOTE_SIZE`` bytes or ``MAX_SIGNATURES`` signature
lines.

Errors: parsing text that is not in the documented format raises ``FormatError``;
``open_note`` raises ``NoteError`` for every problem with the note (malformed, bad or
missing signature); it returns normally only on success.
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

__all__ = [
    "CONTROL_CHARACTERS",
    "MAX_NOTE_SIZE",
    "MAX_SIGNATURES",
    "MAX_UINT64",
    "SIG_TYPE_ED25519",
    "NoteSigner",
    "NoteVerifier",
    "decode_base64",
    "encode_base64",
    "note_key_id",
    "open_note",
    "parse_note",
    "parse_private_key_string",
    "parse_uint64",
    "parse_verifier_key",
    "sign_note",
    "verifier_key",
]

SIG_TYPE_ED25519 = 0x01
MAX_NOTE_SIZE = 1 << 20
# The spec demands at least 16; 100 is what Go's sumdb/note allows.
MAX_SIGNATURES = 100

_ED25519_KEY_SIZE = 32
_ED25519_SIG_SIZE = 64
MAX_UINT64 = (1 << 64) - 1
_SIG_PREFIX = "\u2014 "  # em dash, space
CONTROL_CHARACTERS = re.compile(r"[\x00-\x09\x0b-\x1f]")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


def decode_base64(text: str, what: str) -> bytes:
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


def encode_base64(data: bytes) -> str:
    """Standard base64 with padding, as every note format writes it."""
    return base64.b64encode(data).decode("ascii")


def parse_uint64(text: str, what: str) -> int:
    """ASCII decimal without sign or leading zeros, below 2**64; else FormatError."""
    if not _DECIMAL.fullmatch(text):
        raise FormatError(f"{what} {text[:40]!r} is not a decimal number without leading zeros")
    value = int(text)
    if value > MAX_UINT64:
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
    return f"{name}+{key_id:08x}+{encode_base64(bytes([SIG_TYPE_ED25519]) + public_key)}"


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
    key = decode_base64(key_b64, "verifier key")
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
        return f"{_SIG_PREFIX}{self._name} {encode_base64(blob)}\n"

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
    key = decode_base64(key_b64, "private key")
    if len(key) != 1 + _ED25519_KEY_SIZE or key[0] != SIG_TYPE_ED25519:
        raise FormatError("private key must be 0x01 followed by a 32-byte Ed25519 seed")
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(key[1:]))
    if signer.key_id != int(key_id_hex, 16):
        raise FormatError("key ID in private key string does not match the key")
    return signer


def _check_note_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise FormatError("note text must end with a newline")
    if CONTROL_CHARACTERS.search(text):
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


def parse_note(note: str | bytes) -> tuple[str, list[tuple[str, int, bytes]]]:
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
    if CONTROL_CHARACTERS.search(decoded):
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
            blob = decode_base64(sig_b64, "signature")
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
    text, signatures = parse_note(note)
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
