"""Read and write c2sp.org/tlog-checkpoint checkpoints and c2sp.org/tlog-proof@v1 receipts.

Both are carried as signed notes (:mod:`registry.core.note`) and parsed as strictly: canonical
standard base64, decimal numbers below 2**64 without sign or leading zeros, size limits.

Errors: parsing text that is not in the documented format raises ``FormatError``;
``open_checkpoint`` and ``verify_tlog_proof`` raise ``NoteError`` for every problem with the
checkpoint (malformed, wrong origin, bad or missing signature) and ``ProofError`` for a bad
inclusion proof; they return normally only on success. Signing with arguments the format cannot
carry raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.core.errors import FormatError, NoteError
from registry.core.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from registry.core.note import (
    CONTROL_CHARACTERS,
    MAX_NOTE_SIZE,
    MAX_UINT64,
    NoteSigner,
    NoteVerifier,
    decode_base64,
    encode_base64,
    open_note,
    parse_note,
    parse_uint64,
    sign_note,
)

__all__ = [
    "TLOG_PROOF_HEADER",
    "Checkpoint",
    "TlogProof",
    "open_checkpoint",
    "sign_checkpoint",
    "verify_tlog_proof",
]

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
# A tree of at most 2**64 leaves has inclusion proofs of at most 64 hashes.
_MAX_PROOF_HASHES = 64


def _check_line(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise FormatError(f"{what} must be a non-empty string")
    if "\n" in value or CONTROL_CHARACTERS.search(value):
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
        if not 0 <= self.size <= MAX_UINT64:
            raise FormatError("checkpoint tree size must be between 0 and 2**64 - 1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise FormatError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        extensions = tuple(self.extensions)
        for line in extensions:
            _check_line(line, "checkpoint extension line")
        object.__setattr__(self, "extensions", extensions)

    def to_text(self) -> str:
        """Return the note text (every line ending in a newline)."""
        lines = [self.origin, str(self.size), encode_base64(self.root_hash), *self.extensions]
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
        size = parse_uint64(size_text, "checkpoint tree size")
        root = decode_base64(root_b64, "checkpoint root hash")
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
        if not 0 <= self.index <= MAX_UINT64:
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
            Checkpoint.parse(parse_note(self.checkpoint_note)[0])
        except (NoteError, FormatError) as exc:
            raise FormatError(f"proof's checkpoint is malformed: {exc}") from None
        if self.extra is not None and (not isinstance(self.extra, bytes) or not self.extra):
            # An empty extra line would read back ambiguously; absent is spelled None.
            raise FormatError("extra data must be non-empty bytes or None")

    def to_text(self) -> str:
        """Return the receipt file contents."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + encode_base64(self.extra))
        lines.append(f"index {self.index}")
        lines.extend(encode_base64(h) for h in self.hashes)
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
            extra = decode_base64(lines[position][len("extra ") :], "extra data")
            if not extra:
                raise FormatError("extra line holds no data")
            position += 1
        if position >= len(lines) or not lines[position].startswith("index "):
            raise FormatError("proof has no index line")
        index = parse_uint64(lines[position][len("index ") :], "proof index")
        hash_lines = lines[position + 1 :]
        if len(hash_lines) > _MAX_PROOF_HASHES:
            raise FormatError(f"inclusion proof has more than {_MAX_PROOF_HASHES} hashes")
        hashes = []
        for number, line in enumerate(hash_lines):
            h = decode_base64(line, f"proof hash {number}")
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
