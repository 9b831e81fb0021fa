"""Cosmos's ``LegacyDec`` as a plain int: a decimal with 18 fraction digits is held as
its *atomics*, the value times 10**18 (0.1 is ``100_000_000_000_000_000``).

Staking shares, commission rates and slash fractions are such decimals, and every
node must round them the same way Cosmos SDK v0.50 (``cosmossdk.io/math``) does, or
shares and balances drift apart from what Cosmos clients compute. So each operation
here is one of Cosmos's, with its rounding:

- ``mul`` and ``quo`` round to nearest, ties to even ("banker's rounding",
  ``chopPrecisionAndRound``); ``quo`` first truncates its exact quotient at 36
  fraction digits, as Cosmos does;
- ``*_truncate`` round toward zero, ``*_round_up`` away from zero;
- ``mul_int`` is exact and ``quo_int`` truncates (Go's ``big.Int.Quo``).

No floats, ever: the results are pure functions of integers.
"""

from __future__ import annotations

import re
from typing import TypeAlias

Dec: TypeAlias = int
"""A decimal's atomics: the value times ``ONE``."""

PRECISION = 18
ONE: Dec = 10**PRECISION
ZERO: Dec = 0
_HALF = ONE // 2
# Cosmos's bounds: |value| <= 2**256 * 10**18 - 1 (in atomics).
MAX_ATOMICS = 2**256 * ONE - 1
_TEXT = re.compile(r"^(-?)([0-9]+)(?:\.([0-9]{1,18}))?$")


class DecError(ValueError):
    """Text that is not a decimal, or a value out of Cosmos's range."""


def from_int(value: int) -> Dec:
    return value * ONE


def from_ratio(numerator: int, denominator: int) -> Dec:
    """``numerator / denominator`` as ``LegacyNewDec(n).Quo(LegacyNewDec(d))`` gives it."""
    return quo(from_int(numerator), from_int(denominator))


# -- rounding at the 18th digit --------------------------------------------------------


def _trunc_div(numerator: int, denominator: int) -> int:
    """Division toward zero, as Go's ``big.Int.Quo`` (Python's ``//`` floors)."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator < 0) == (denominator < 0) else -quotient


def _chop_round(value: int) -> int:
    """Drop 18 digits, rounding half to even; the sign is set aside first (Cosmos's
    ``chopPrecisionAndRound``), so -2.5 rounds to -2 as 2.5 does."""
    if value < 0:
        return -_chop_round(-value)
    quotient, remainder = divmod(value, ONE)
    if remainder > _HALF or (remainder == _HALF and quotient % 2 == 1):
        return quotient + 1
    return quotient


def _chop_round_up(value: int) -> int:
    """Drop 18 digits rounding up: the ceiling for a positive value, toward zero for a
    negative one (Cosmos's ``chopPrecisionAndRoundUp``); ``-(-v // ONE)`` is both."""
    return -(-value // ONE)


# -- arithmetic --------------------------------------------------------------------------


def mul(a: Dec, b: Dec) -> Dec:
    return _chop_round(a * b)


def mul_truncate(a: Dec, b: Dec) -> Dec:
    return _trunc_div(a * b, ONE)


def mul_round_up(a: Dec, b: Dec) -> Dec:
    return _chop_round_up(a * b)


def mul_int(a: Dec, n: int) -> Dec:
    return a * n


def quo(a: Dec, b: Dec) -> Dec:
    """``a / b`` rounded half to even; raises ZeroDivisionError on a zero divisor (Cosmos panics)."""
    return _chop_round(_trunc_div(a * ONE * ONE, b))


def quo_truncate(a: Dec, b: Dec) -> Dec:
    return _trunc_div(a * ONE, b)


def quo_round_up(a: Dec, b: Dec) -> Dec:
    """``a / b`` rounded up at the 18th digit (Cosmos's ``QuoRoundUp``: the truncated
    quotient plus one when the remainder's sign says the exact value lies above it)."""
    numerator = a * ONE
    quotient = _trunc_div(numerator, b)
    remainder = numerator - quotient * b  # the sign of the dividend, as Go's QuoRem
    if (remainder > 0 and (quotient < 0) == (b < 0)) or (remainder < 0 and (quotient < 0) != (b < 0)):
        quotient += 1
    return quotient


def quo_int(a: Dec, n: int) -> Dec:
    return _trunc_div(a, n)


def truncate_int(a: Dec) -> int:
    """The integer part, toward zero (Cosmos's ``TruncateInt``)."""
    return _trunc_div(a, ONE)


def round_int(a: Dec) -> int:
    """The nearest integer, ties to even (Cosmos's ``RoundInt``)."""
    return _chop_round(a)


def is_integer(a: Dec) -> bool:
    return a % ONE == 0


# -- text ----------------------------------------------------------------------------------


def parse(text: str) -> Dec:
    """A decimal as Cosmos writes it in JSON ("0.100000000000000000", "5", "-1.5"): at most
    18 fraction digits, within Cosmos's range (``LegacyNewDecFromStr``)."""
    match = _TEXT.match(text)
    if match is None or not text.isascii():
        raise DecError(f"{text[:80]!r} is not a decimal")
    sign, whole, fraction = match.groups()
    atomics = int(whole) * ONE + int((fraction or "").ljust(PRECISION, "0"))
    if atomics > MAX_ATOMICS:
        raise DecError(f"{text[:80]!r} is out of range")
    return -atomics if sign else atomics


def format(value: Dec) -> str:
    """Cosmos's ``LegacyDec.String``: always 18 fraction digits ("1.000000000000000000")."""
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), ONE)
    return f"{sign}{whole}.{fraction:018d}"
