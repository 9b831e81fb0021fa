"""Domain types shared by every module: amounts, coins, addresses, heights."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, NewType

import msgspec

from vm import crypto
from vm.encoding import Canonical
from vm.errors import InvalidAddress, InvalidCoins

Amount = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Uint64 = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Height = NewType("Height", int)
Address = NewType("Address", bytes)  # 20 raw bytes; bech32 only at the edges

_DENOM = re.compile(r"^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$")


class Coin(Canonical, frozen=True):
    denom: str
    amount: Amount


def is_valid_denom(denom: str) -> bool:
    return _DENOM.match(denom) is not None


def validate_coins(coins: list[Coin], what: str = "amount") -> None:
    """Cosmos rules: positive amounts, valid denoms, sorted by denom, no duplicates."""
    if not coins:
        raise InvalidCoins(f"{what} must not be empty")
    for coin in coins:
        validate_coin(coin, what)
    denoms = [coin.denom for coin in coins]
    if denoms != sorted(set(denoms)):
        raise InvalidCoins(f"{what} must be sorted by denom without duplicates")


def validate_coin(coin: Coin, what: str = "amount") -> None:
    if not is_valid_denom(coin.denom):
        raise InvalidCoins(f"{what} has invalid denom {coin.denom!r}")
    if coin.amount <= 0:
        raise InvalidCoins(f"{what} must be positive, got {coin.amount}{coin.denom}")


def format_coins(coins: list[Coin]) -> str:
    return ",".join(f"{coin.amount}{coin.denom}" for coin in coins)


def parse_address(text: str, field: str = "address") -> Address:
    try:
        return Address(crypto.decode_address(text))
    except crypto.InvalidAddress as exc:
        raise InvalidAddress(f"{field}: {exc}") from None


def module_address(name: str) -> Address:
    """Cosmos SDK module account address: the first 20 bytes of SHA-256(name)."""
    return Address(hashlib.sha256(name.encode()).digest()[:20])


def format_address(address: Address) -> str:
    return crypto.encode_address(address)
