"""Parsing what users type: coins, gas and GPU declarations."""

from __future__ import annotations

import click
import pytest

from node.cli.params import GAS, MAX_AMOUNT, parse_coin, parse_coins, parse_gpu
from vm.provider.msgs import GpuSpec
from vm.types import Coin


def test_parse_coin() -> None:
    assert parse_coin("1000udepin") == Coin("udepin", 1000)
    assert parse_coin(" 7ibc/ABC ") == Coin("ibc/ABC", 7)


def test_parse_coin_allows_zero_when_asked() -> None:
    assert parse_coin("0udepin", allow_zero=True) == Coin("udepin", 0)


def test_parse_coins_sorts_by_denom() -> None:
    assert parse_coins("10udepin,5foo") == [Coin("foo", 5), Coin("udepin", 10)]


@pytest.mark.parametrize(
    "text",
    ["", "udepin", "1000", "10 udepin", "-5udepin", "1.5udepin", "5u", "١٢udepin", "0udepin"],
)
def test_invalid_coin(text: str) -> None:
    with pytest.raises(ValueError):
        parse_coin(text)


def test_invalid_coin_amount_too_large() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        parse_coin(f"{MAX_AMOUNT + 1}udepin")


@pytest.mark.parametrize("text", ["", "5udepin,,6foo", "5udepin,6udepin", "5udepin;6foo"])
def test_invalid_coins(text: str) -> None:
    with pytest.raises(ValueError):
        parse_coins(text)


def test_gas_auto_or_limit() -> None:
    assert GAS.convert("auto", None, None) is None
    assert GAS.convert("AUTO", None, None) is None
    assert GAS.convert("250000", None, None) == 250_000


@pytest.mark.parametrize("text", ["0", "-1", "lots", "1e6"])
def test_invalid_gas(text: str) -> None:
    with pytest.raises(click.BadParameter):
        GAS.convert(text, None, None)


def test_parse_gpu_keeps_colons_in_the_model() -> None:
    assert parse_gpu("ACME:X1 80GB:81920:9.0:8") == GpuSpec("ACME:X1 80GB", 81920, "9.0", 8, [])


@pytest.mark.parametrize(
    "text",
    ["NVIDIA L4", "NVIDIA L4:23034:8.9", "NVIDIA L4:big:8.9:1", "NVIDIA L4:23034:89:1", ":23034:8.9:1"],
)
def test_invalid_gpu(text: str) -> None:
    with pytest.raises(ValueError):
        parse_gpu(text)


def test_invalid_gpu_count() -> None:
    with pytest.raises(ValueError, match="count"):
        parse_gpu("NVIDIA L4:23034:8.9:0")
