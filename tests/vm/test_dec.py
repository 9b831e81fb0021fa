"""vm.dec: Cosmos LegacyDec arithmetic on atomics (value * 10**18), with its rounding.

Each expected value is worked out by hand from cosmossdk.io/math's definitions:
``Mul`` = chopPrecisionAndRound(a*b) (half to even), ``Quo`` = chopPrecisionAndRound(
trunc(a * 10**36 / b)), ``QuoTruncate`` = trunc(a * 10**18 / b), ``QuoRoundUp`` = the
truncated quotient plus one if a remainder is left.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm import dec
from vm.dec import ONE

THIRD = 333_333_333_333_333_333  # 0.333333333333333333


def test_mul_rounds_half_to_even() -> None:
    tenth = dec.parse("0.1")
    assert dec.mul(5, tenth) == 0  # 0.5e-18: a tie, 0 is even
    assert dec.mul(15, tenth) == 2  # 1.5e-18: a tie, up to the even 2
    assert dec.mul(25, tenth) == 2  # 2.5e-18: a tie, down to the even 2
    assert dec.mul(16, tenth) == 2  # 1.6e-18: above the half
    assert dec.mul(-15, tenth) == -2  # the sign is set aside, then restored
    assert dec.mul(dec.parse("1.5"), dec.parse("2")) == dec.parse("3")


def test_mul_truncate_and_round_up() -> None:
    tenth = dec.parse("0.1")
    assert dec.mul_truncate(19, tenth) == 1
    assert dec.mul_round_up(11, tenth) == 2
    assert dec.mul_round_up(10, tenth) == 1  # exact: no rounding
    assert dec.mul_truncate(-19, tenth) == -1  # toward zero
    assert dec.mul_int(dec.parse("0.5"), 3) == dec.parse("1.5")


def test_quo_rounding() -> None:
    one, two, three = ONE, 2 * ONE, 3 * ONE
    assert dec.quo(one, three) == THIRD  # ...3333 then 0.33..e-18: down
    assert dec.quo(two, three) == 666_666_666_666_666_667  # ...6666 then 0.66..e-18: up
    assert dec.quo_truncate(two, three) == 666_666_666_666_666_666
    assert dec.quo_round_up(one, three) == THIRD + 1
    assert dec.quo_round_up(three, three) == ONE  # exact
    assert dec.quo(1, two) == 0  # 0.5e-18: a tie, to the even 0
    assert dec.quo(3, two) == 2  # 1.5e-18: a tie, to the even 2
    assert dec.quo_int(dec.parse("7"), 2) == dec.parse("3.5")
    assert dec.quo_int(-7, 2) == -3  # Go's Quo truncates toward zero
    with pytest.raises(ZeroDivisionError):
        dec.quo(one, 0)


def test_to_integers() -> None:
    assert dec.truncate_int(dec.parse("2.999999999999999999")) == 2
    assert dec.truncate_int(dec.parse("-1.5")) == -1
    assert dec.round_int(dec.parse("2.5")) == 2
    assert dec.round_int(dec.parse("3.5")) == 4
    assert dec.round_int(dec.parse("2.500000000000000001")) == 3
    assert dec.from_ratio(1, 3) == THIRD
    assert dec.is_integer(dec.parse("4")) and not dec.is_integer(dec.parse("4.1"))


@pytest.mark.parametrize(
    ("text", "atomics", "formatted"),
    [
        ("0.1", 10**17, "0.100000000000000000"),
        ("1", ONE, "1.000000000000000000"),
        ("-0.5", -(5 * 10**17), "-0.500000000000000000"),
        ("123.000000000000000001", 123 * ONE + 1, "123.000000000000000001"),
        ("0", 0, "0.000000000000000000"),
    ],
)
def test_parse_and_format(text: str, atomics: int, formatted: str) -> None:
    assert dec.parse(text) == atomics
    assert dec.format(atomics) == formatted
    assert dec.parse(formatted) == atomics


@pytest.mark.parametrize(
    "text", ["", ".5", "5.", "1.0000000000000000001", "1e5", "--1", "0x10", "١", "1.2.3"]
)
def test_invalid_decimal_text(text: str) -> None:
    with pytest.raises(dec.DecError):
        dec.parse(text)


def test_invalid_decimal_out_of_range() -> None:
    with pytest.raises(dec.DecError, match="out of range"):
        dec.parse(str(2**256 + 1))


@given(st.integers(-(10**40), 10**40), st.integers(1, 10**40))
def test_roundings_bracket_the_exact_quotient(a: int, b: int) -> None:
    low, high = dec.quo_truncate(abs(a), b), dec.quo_round_up(abs(a), b)
    assert low * b <= abs(a) * ONE <= high * b
    assert high - low in (0, 1)
    assert low <= dec.quo(abs(a), b) <= high
    assert dec.format(dec.parse(dec.format(a))) == dec.format(a)
