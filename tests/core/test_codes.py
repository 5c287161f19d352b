"""codes.py: verification codes a person types — Crockford base32 with a check symbol."""

from __future__ import annotations

import random
from typing import Any

import pytest

from registry.core import codes
from registry.core.codes import ALPHABET, display_code, new_code, normalise_code
from registry.core.errors import FormatError

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_codes(count: int, seed: int) -> list[str]:
    """Valid codes from a seeded generator (the check symbol from the module, verified below)."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        body = "".join(rng.choice(CROCKFORD) for _ in range(10))
        result.append(body + codes._check_symbol(body))
    return result


SWEEP = random_codes(200, seed=11)


def test_alphabet_is_crockford() -> None:
    assert ALPHABET == CROCKFORD
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_new_code_form() -> None:
    for _ in range(200):
        code = new_code()
        assert len(code) == 11
        assert set(code) <= set(CROCKFORD)
        assert normalise_code(code) == code


def test_accepted_spellings() -> None:
    code = new_code()
    shown = display_code(code)
    assert shown == f"{code[:4]}-{code[4:8]}-{code[8:]}"
    assert len(shown) == 13
    for spelling in (
        code,
        shown,
        code.lower(),
        shown.lower(),
        " ".join(code),
        f"  {code[:4]} {code[4:8]}\t{code[8:]} ",
        f"{code[:3]}-{code[3:]}",
    ):
        assert normalise_code(spelling) == code, spelling


def test_aliases_o_i_l() -> None:
    # Bodies made to contain 0 and 1 where the aliases are typed.
    for code in (c for c in random_codes(400, seed=3) if "0" in c or "1" in c):
        for typed in (
            code.replace("0", "O"),
            code.replace("0", "o"),
            code.replace("1", "I"),
            code.replace("1", "i"),
            code.replace("1", "L"),
            code.replace("1", "l"),
        ):
            assert normalise_code(typed) == code, typed


def test_generated_sweep_codes_are_valid() -> None:
    for code in SWEEP:
        assert normalise_code(code) == code


def test_every_single_substitution_is_rejected() -> None:
    for code in SWEEP:
        for i in range(len(code)):
            for symbol in CROCKFORD:
                if symbol == code[i]:
                    continue
                typo = code[:i] + symbol + code[i + 1 :]
                with pytest.raises(FormatError, match="check symbol"):
                    normalise_code(typo)


def test_every_adjacent_transposition_is_rejected() -> None:
    for code in SWEEP:
        for i in range(len(code) - 1):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            with pytest.raises(FormatError, match="check symbol"):
                normalise_code(swapped)


def _code_with_pair(position: int, a: str, b: str) -> str:
    """A valid code whose symbols at ``position`` and ``position + 1`` are a, b (b is the check at 9)."""
    body = list("3" * 10)
    body[position] = a
    if position < 9:
        body[position + 1] = b
    return "".join(body) + codes._check_symbol("".join(body))


def test_end_of_alphabet_transposition() -> None:
    # 0 and Z (values 0 and 31) swapped: the case a Luhn mod 32 check symbol misses.
    code = _code_with_pair(0, "0", "Z")
    assert normalise_code(code) == code
    with pytest.raises(FormatError, match="check symbol"):
        normalise_code("Z0" + code[2:])


def test_every_pair_in_every_position_exhaustively() -> None:
    checked = 0
    for position in range(10):
        for a in CROCKFORD:
            for b in CROCKFORD if position < 9 else "-":
                code = _code_with_pair(position, a, b)
                first, second = code[position], code[position + 1]
                if first == second:
                    continue
                assert normalise_code(code) == code
                swapped = code[:position] + second + first + code[position + 2 :]
                with pytest.raises(FormatError, match="check symbol"):
                    normalise_code(swapped)
                checked += 1
    assert checked > 9 * 32 * 31


@pytest.mark.parametrize("length", [0, 1, 9, 10, 12, 13, 20])
def test_wrong_lengths_are_rejected(length: int) -> None:
    text = (new_code() * 3)[:length]
    with pytest.raises(FormatError, match="11 letters and digits"):
        normalise_code(text)


def test_overlong_input_is_rejected_before_work() -> None:
    with pytest.raises(FormatError):
        normalise_code(" " * 41 + new_code())
    with pytest.raises(FormatError):
        normalise_code("-" * 10_000)


@pytest.mark.parametrize(
    "symbol", ["U", "u", "*", "~", "$", "=", "_", ".", "/", "é", "Ａ", "０", "\u200b", "\n"]
)
def test_non_alphabet_symbols_are_rejected(symbol: str) -> None:
    code = new_code()
    for i in (0, 5, 10):
        with pytest.raises(FormatError, match="11 letters and digits"):
            normalise_code(code[:i] + symbol + code[i + 1 :])


@pytest.mark.parametrize("value", [None, 12345678901, b"0123456789A", ["0"] * 11])
def test_non_text_is_rejected(value: Any) -> None:
    with pytest.raises(FormatError):
        normalise_code(value)


def test_ten_thousand_codes_are_distinct() -> None:
    batch = [new_code() for _ in range(10_000)]
    assert len(set(batch)) == len(batch)
    # Every symbol of the alphabet shows up in the random bodies.
    assert set("".join(c[:10] for c in batch)) == set(CROCKFORD)
