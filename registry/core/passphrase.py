"""The strength floor of the key passphrase (README "Keys at rest", docs/FORMATS.md §2.1).

Checked whenever a key file is written (new keys, rotation, ``ikrar keys upgrade``), never when
one is read: raising the floor must not lock anyone out of keys they already have.
"""

from __future__ import annotations

from registry.core.errors import KeyRingError

MIN_LENGTH = 15
# zxcvbn's highest score: at least 10^10 guesses under its model (dictionaries of common
# passwords, names and words, keyboard patterns, repeats, sequences, dates, l33t).
MIN_SCORE = 4
# zxcvbn refuses longer input (its matching is superlinear); the first 72 characters are judged.
_ZXCVBN_MAX = 72

ADVICE = "use four or more random words, or: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class WeakPassphraseError(KeyRingError):
    """The passphrase is below the floor; nothing was written."""


def check_strength(passphrase: bytes) -> None:
    """Raise WeakPassphraseError unless ``passphrase`` meets the floor."""
    try:
        text = passphrase.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WeakPassphraseError("the key passphrase is not UTF-8 text") from exc
    if len(text) < MIN_LENGTH:
        raise WeakPassphraseError(
            f"the key passphrase is too short: {len(text)} characters, at least {MIN_LENGTH} "
            f"are required; {ADVICE}"
        )
    # Imported here: its dictionaries take ~0.1 s to load, and only key writes need them.
    from zxcvbn import zxcvbn

    result = zxcvbn(text[:_ZXCVBN_MAX])
    if result["score"] < MIN_SCORE:
        guesses = result["guesses_log10"]
        raise WeakPassphraseError(
            f"the key passphrase is too easy to guess (about 10^{guesses:.0f} guesses; at least 10^10 "
            f"are required): it is made of common words, repeats, sequences or keyboard patterns; {ADVICE}"
        )
