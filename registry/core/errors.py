"""The one family of exceptions the signing core raises."""

from __future__ import annotations


class IkrarError(Exception):
    """Base class of every error Ikrar raises on purpose."""


class VerificationError(IkrarError):
    """A signature, hash, proof or note did not verify."""


class FormatError(IkrarError):
    """Bytes or text that do not follow the documented format."""


class KeyRingError(IkrarError):
    """A key is missing, unreadable, malformed or not the one expected."""


class ProofError(VerificationError):
    """A Merkle inclusion or consistency proof is invalid."""


class NoteError(VerificationError):
    """A signed note or checkpoint is malformed or carries no valid signature."""
