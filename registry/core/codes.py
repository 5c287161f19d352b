"""Short verification codes a person can read off paper and type: Crockford base32 with a check symbol."""

from __future__ import annotations

import secrets

from registry.core.errors import N_, FormatError

# Crockford's alphabet: no I, L, O, U, so 1/I/L and 0/O cannot be confused.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 10  # 50 random bits: unique enough to be a lookup key, short enough to type
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _times_x(value: int) -> int:
    # Multiplication by x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1).
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def _check_symbol(body: str) -> str:
    # Damm's check over the quasigroup a*b = x·a + b in GF(32): the check makes
    # sum(x^(10-j) · s_j) = 0, which catches every single-symbol error and every transposition
    # of adjacent symbols. (Luhn mod 32 missed the transposition 0Z <-> Z0.)
    total = 0
    for ch in body:
        total = _times_x(total) ^ _INDEX[ch]
    return ALPHABET[_times_x(total)]


def new_code() -> str:
    """A fresh random code in its compact form (11 symbols, the last one the check)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + _check_symbol(body)


def normalise_code(text: str) -> str:
    """Accept what a person types (lower case, spaces, hyphens, O for 0) and return the compact code."""
    if not isinstance(text, str) or len(text) > 40 or not text.isascii():
        raise FormatError(N_("a verification code has 11 letters and digits"))
    compact = "".join(ch for ch in text.upper() if ch not in " -\t").translate(_ALIASES)
    if len(compact) != BODY_LENGTH + 1 or any(ch not in _INDEX for ch in compact):
        raise FormatError(N_("a verification code has 11 letters and digits"))
    if _check_symbol(compact[:-1]) != compact[-1]:
        raise FormatError(N_("verification code mistyped: its check symbol does not match"))
    return compact


def display_code(code: str) -> str:
    """Grouped for print: ``ABCD-EFGH-JKM``."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
