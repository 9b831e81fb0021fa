"""Click types for the values people type: coins, gas, GPUs and addresses.

A bad value fails as click's BadParameter, which names the flag and exits 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from vm import crypto
from vm.errors import InvalidTx
from vm.provider.msgs import GpuSpec
from vm.types import Coin, is_valid_denom

MAX_AMOUNT = 2**63 - 1
# ASCII digits only: int() would also accept other scripts' digits.
_COIN = re.compile(r"([0-9]+)(\S+)")
_COIN_EXAMPLE = "expected an amount and a denom such as 1000udepin"


def parse_coin(text: str, allow_zero: bool = False) -> Coin:
    match = _COIN.fullmatch(text.strip())
    if match is None or not is_valid_denom(match.group(2)):
        raise ValueError(f"{text!r} is not a coin: {_COIN_EXAMPLE}")
    amount = int(match.group(1))
    if amount > MAX_AMOUNT:
        raise ValueError(f"amount {amount} exceeds the maximum {MAX_AMOUNT}")
    if amount == 0 and not allow_zero:
        raise ValueError(f"{text!r} must be a positive amount")
    return Coin(match.group(2), amount)


def parse_coins(text: str) -> list[Coin]:
    """``10udepin,5foo``: sorted by denom, as messages require, each denom once."""
    if not text.strip():
        raise ValueError(f"no coins given: {_COIN_EXAMPLE}, or 10udepin,5foo")
    coins = sorted((parse_coin(part) for part in text.split(",")), key=lambda c: c.denom)
    denoms = [coin.denom for coin in coins]
    if len(set(denoms)) != len(denoms):
        raise ValueError(f"{text!r} names a denom twice")
    return coins


def parse_gpu(text: str) -> GpuSpec:
    """``MODEL:MEMORY_MIB:CC:COUNT``; split from the right since a model may hold colons."""
    parts = text.rsplit(":", 3)
    if len(parts) != 4 or not parts[1].isdecimal() or not parts[3].isdecimal():
        raise ValueError(f"{text!r} is not MODEL:MEMORY_MIB:CC:COUNT, e.g. 'NVIDIA L4:23034:8.9:2'")
    model, memory, capability, count = parts
    spec = GpuSpec(model.strip(), int(memory), capability, int(count), [])
    try:
        spec.validate()
    except InvalidTx as exc:
        raise ValueError(f"{text!r}: {exc.detail}") from None
    return spec


class CoinType(click.ParamType[Coin]):
    name = "coin"

    def __init__(self, allow_zero: bool = False) -> None:
        self.allow_zero = allow_zero

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Coin:
        if isinstance(value, Coin):
            return value
        try:
            return parse_coin(str(value), self.allow_zero)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class CoinsType(click.ParamType[list[Coin]]):
    name = "coins"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[Coin]:
        if isinstance(value, list):
            return value
        try:
            return parse_coins(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class GasType(click.ParamType[int | None]):
    """``auto`` (None: simulate and add a margin) or a positive gas limit."""

    name = "auto|gas"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return None
        if text.isdecimal() and 0 < int(text) <= MAX_AMOUNT:
            return int(text)
        self.fail(f"{value!r} is neither 'auto' nor a positive gas limit", param, ctx)


class GpuType(click.ParamType[GpuSpec]):
    name = "model:memory_mib:cc:count"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> GpuSpec:
        if isinstance(value, GpuSpec):
            return value
        try:
            return parse_gpu(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class AddressType(click.ParamType[str]):
    """A bech32 account address, checked here so a typo never reaches the node."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            crypto.decode_address(str(value))
        except crypto.InvalidAddress as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


class ValoperType(click.ParamType[str]):
    """A bech32 validator operator address (depinvaloper1...)."""

    name = "validator"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            crypto.decode_address(str(value), crypto.VALOPER_HRP)
        except crypto.InvalidAddress as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


def is_address(text: str) -> bool:
    try:
        crypto.decode_address(text)
    except crypto.InvalidAddress:
        return False
    return True


COIN = CoinType()
PRICE = CoinType(allow_zero=True)
COINS = CoinsType()
GAS = GasType()
GPU = GpuType()
ADDRESS = AddressType()
VALOPER = ValoperType()


F = TypeVar("F", bound=Callable[..., Any])


def description_options(default: str | None) -> Callable[[F], F]:
    """A validator's description flags besides --moniker; ``default`` is what an absent one means."""

    def add(f: F) -> F:
        for name, help_text in reversed(
            [
                ("--details", "Description of the validator."),
                ("--website", "The validator's website."),
                ("--identity", "Identity signature (e.g. a Keybase key's 16 hex digits)."),
                ("--security-contact", "Security contact email."),
            ]
        ):
            f = click.option(name, default=default, help=help_text)(f)
        return f

    return add


def new_validator_options(f: F) -> F:
    """What a new validator declares (``depind genesis gentx``, ``tx staking create-validator``):
    --moniker, the commission, --min-self-delegation and the description."""
    options = [
        click.option("--moniker", help="The validator's name [default: the home's moniker]."),
        click.option("--commission-rate", default="0.1", show_default=True, help="Initial commission rate."),
        click.option(
            "--commission-max-rate", default="0.2", show_default=True, help="Highest rate it may ever charge."
        ),
        click.option(
            "--commission-max-change-rate",
            default="0.01",
            show_default=True,
            help="Largest change of the rate per day.",
        ),
        click.option("--min-self-delegation", default=1, show_default=True, type=click.IntRange(min=1)),
        description_options(default=""),
    ]
    for option in reversed(options):
        f = option(f)
    return f
