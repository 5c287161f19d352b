"""The one family of exceptions the signing core raises."""

from __future__ import annotations


def N_(template: str) -> str:
    """Mark an English message template for translation (see tools/i18n.py); returns it unchanged.

    The core never translates: an error keeps its English template and parameters, and the web
    layer renders them in the reader's language.
    """
    return template


class IkrarError(Exception):
    """Base class of every error Ikrar raises on purpose.

    ``IkrarError(N_("too many points: at most %(n)d"), n=6000)`` keeps the template and its
    parameters apart, so a translation can be looked up; ``str()`` gives the English text.
    """

    def __init__(self, template: str = "", **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


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
