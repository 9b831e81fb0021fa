"""Cosmos's ``DecCoins``: amounts of several denoms, each a ``LegacyDec`` (vm/dec.py).

Rewards are divided among validators and delegators in decimals, and only whole
coins ever leave the module (``truncate``), the fractions staying behind. A value
holds each denom once, in denom order, with no zero amounts (``NewDecCoins``);
negative amounts exist only as the result of ``sub`` refusing them.

Each operation is the Cosmos one of the same name, with its rounding: ``mul_dec``
rounds half to even, ``*_truncate`` toward zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from vm import dec
from vm.dec import Dec
from vm.types import Coin


class NegativeDecCoins(ValueError):
    """A subtraction that would leave a negative amount (Cosmos panics)."""


class DecCoins:
    __slots__ = ("_amounts",)

    def __init__(self, amounts: Mapping[str, Dec] | Iterable[tuple[str, Dec]] = ()) -> None:
        pairs = amounts.items() if isinstance(amounts, Mapping) else amounts
        self._amounts: tuple[tuple[str, Dec], ...] = tuple(sorted((d, a) for d, a in pairs if a != 0))
        if len({denom for denom, _ in self._amounts}) != len(self._amounts):
            raise ValueError(f"duplicate denoms in {self._amounts}")

    @classmethod
    def from_coins(cls, coins: Iterable[Coin]) -> DecCoins:
        return cls((coin.denom, dec.from_int(coin.amount)) for coin in coins)

    # -- reads ----------------------------------------------------------------------------

    def items(self) -> Iterator[tuple[str, Dec]]:
        return iter(self._amounts)

    def amount_of(self, denom: str) -> Dec:
        return dict(self._amounts).get(denom, dec.ZERO)

    def is_zero(self) -> bool:
        return not self._amounts

    def is_any_negative(self) -> bool:
        return any(amount < 0 for _, amount in self._amounts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DecCoins) and self._amounts == other._amounts

    def __hash__(self) -> int:
        return hash(self._amounts)

    def __repr__(self) -> str:
        return f"DecCoins({str(self)!r})"

    def __str__(self) -> str:
        """Cosmos's ``DecCoins.String``: "1.500000000000000000udepin,2.000000000000000000uatom"."""
        return ",".join(f"{dec.format(amount)}{denom}" for denom, amount in self._amounts)

    # -- arithmetic -----------------------------------------------------------------------

    def __add__(self, other: DecCoins) -> DecCoins:
        total = dict(self._amounts)
        for denom, amount in other._amounts:
            total[denom] = total.get(denom, 0) + amount
        return DecCoins(total)

    def __sub__(self, other: DecCoins) -> DecCoins:
        """The difference; raises ``NegativeDecCoins`` if any amount would go below zero."""
        left = dict(self._amounts)
        for denom, amount in other._amounts:
            left[denom] = left.get(denom, 0) - amount
        result = DecCoins(left)
        if result.is_any_negative():
            raise NegativeDecCoins(f"{self} minus {other} is negative")
        return result

    def mul_dec(self, factor: Dec) -> DecCoins:
        return DecCoins((denom, dec.mul(amount, factor)) for denom, amount in self._amounts)

    def mul_dec_truncate(self, factor: Dec) -> DecCoins:
        return DecCoins((denom, dec.mul_truncate(amount, factor)) for denom, amount in self._amounts)

    def quo_dec_truncate(self, divisor: Dec) -> DecCoins:
        if divisor == 0:
            raise ZeroDivisionError("DecCoins divided by zero")
        return DecCoins((denom, dec.quo_truncate(amount, divisor)) for denom, amount in self._amounts)

    def intersect(self, other: DecCoins) -> DecCoins:
        """The smaller amount of each denom both hold (Cosmos's ``Intersect``)."""
        theirs = dict(other._amounts)
        return DecCoins((denom, min(amount, theirs.get(denom, 0))) for denom, amount in self._amounts)

    def truncate(self) -> tuple[list[Coin], DecCoins]:
        """The whole coins, and the fractions left over (Cosmos's ``TruncateDecimal``)."""
        whole = [Coin(denom, dec.truncate_int(amount)) for denom, amount in self._amounts]
        coins = [coin for coin in whole if coin.amount > 0]
        return coins, self - DecCoins.from_coins(coins)


EMPTY = DecCoins()
