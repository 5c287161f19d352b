"""The password policy (OWASP ASVS 5.0 §6.2): length, no composition rules, no common or guessable password.

A password is refused when it is shorter than ``MIN_LENGTH`` or longer than ``MAX_LENGTH``
characters; is on the list of 30,000 common breached passwords shipped in
``registry/passwords/common-passwords.txt`` (case-insensitive); is such a password, a product,
organisation or role name with only digits or symbols added before or after it
(``password1234``, ``Ikrar2024!``); is one character repeated (``aaaaaaaaaaaa``) or a straight run
(``123456789012``, ``abcdefghijkl``); or contains the account's username. Nothing else: no
required digit, capital or symbol, spaces and any Unicode allowed, never an expiry.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

from registry.core.errors import N_
from registry.services.errors import InvalidInput

# ASVS 6.2.1 asks for 8 at least and recommends 15; 12 keeps a passphrase of three words possible
# while every password on the shipped list is shorter.
MIN_LENGTH = 12
# ASVS 6.2.9 asks that at least 64 be allowed; 1024 bounds the argon2 input without hurting anyone.
MAX_LENGTH = 1024
COMMON_LIST = Path(__file__).resolve().parent.parent / "passwords" / "common-passwords.txt"
# ASVS 6.2.11: words of this product, its first deployment and its roles.
CONTEXT_WORDS = frozenset(
    {"ikrar", "purbalingga", "diskominfo", "kominfo", "smartcity", "admin", "administrator",
     "operator", "auditor", "password", "katasandi", "sandi"}
)  # fmt: skip
_AFFIX = frozenset("0123456789!@#$%^&*()-_=+.,;:?/\\|~`'\"[]{}<> ")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once (about 30,000 lines)."""
    with COMMON_LIST.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _is_run(text: str) -> bool:
    """One character repeated, or each character one step after (or before) the previous one."""
    if len(set(text)) == 1:
        return True
    steps = {(ord(b) - ord(a)) for a, b in itertools.pairwise(text)}
    # Digits wrap round: 8, 9, 0, 1 is still counting.
    if text.isascii() and text.isdigit():
        steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(text)}
        return steps in ({1}, {9})
    return steps in ({1}, {-1})


def _core(lowered: str) -> str:
    """The password without the digits and symbols added before and after it."""
    start, end = 0, len(lowered)
    while start < end and lowered[start] in _AFFIX:
        start += 1
    while end > start and lowered[end - 1] in _AFFIX:
        end -= 1
    return lowered[start:end]


def problem(password: object, username: str | None = None) -> str | None:
    """The English message template saying why ``password`` is refused, or None if it is acceptable."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return N_("a password needs at least %(min)d characters")
    if len(password) > MAX_LENGTH:
        return N_("a password may have at most %(max)d characters")
    lowered = password.casefold()
    if _is_run(lowered):
        return N_("a password may not be one character repeated or a run like 123456 or abcdef")
    common = common_passwords()
    core = _core(lowered)
    if lowered in common or lowered.replace(" ", "") in common:
        return N_("this password is on a list of common passwords that attackers try first")
    if core and (core in common or core in CONTEXT_WORDS or _is_run(core)):
        return N_(
            "this password is a common password or word with only digits or symbols added; "
            "choose a longer phrase"
        )
    if any(word in lowered for word in ("ikrar", "purbalingga")):
        return N_("a password may not contain the name of this registry or its organisation")
    if username and len(username) >= 3 and username.casefold() in lowered:
        return N_("a password may not contain the username")
    return None


def check(password: object, username: str | None = None) -> None:
    """Raise InvalidInput (field ``password``) if the policy refuses ``password``."""
    template = problem(password, username)
    if template is not None:
        raise InvalidInput(template, field="password", min=MIN_LENGTH, max=MAX_LENGTH)
