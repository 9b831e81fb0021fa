"""The minter's arithmetic, against numbers worked out by hand from Cosmos's formulas
(x/mint ``Minter``, SDK v0.50) with LegacyDec rounding at the 18th digit:

    change = (1 - bonded_ratio / goal_bonded) * inflation_rate_change / blocks_per_year
    inflation = clamp(inflation + change, inflation_min, inflation_max)
    annual_provisions = inflation * staking_supply
    block_provision = truncate(annual_provisions / blocks_per_year)

with Cosmos's defaults: rate change 0.13, bounds [0.07, 0.20], goal 0.67, 6311520 blocks.
"""

from __future__ import annotations

import pytest

from genesis.schema import MintParams
from vm import dec
from vm.mint.minter import (
    compute_annual_provisions,
    compute_block_provision,
    compute_next_inflation,
    compute_pouw_reward,
)
from vm.mint.params import parse_params

PARAMS = parse_params(MintParams())
D = dec.parse


def test_inflation_rises_below_the_bonded_goal() -> None:
    # Nothing bonded: (1 - 0/0.67) * 0.13 = 0.13 a year; 0.13 / 6311520 = 2.0597257079118...e-8,
    # 0.000000020597257079 at 18 digits.
    assert compute_next_inflation(D("0.13"), PARAMS, D("0")) == D("0.130000020597257079")


def test_inflation_holds_at_the_bonded_goal() -> None:
    assert compute_next_inflation(D("0.13"), PARAMS, D("0.67")) == D("0.13")


def test_inflation_falls_above_the_bonded_goal() -> None:
    # All bonded: 1/0.67 = 1.492537313432835820895... -> 1.492537313432835821 (half to even);
    # (1 - 1.492537313432835821) * 0.13 = -0.06402985074626865673 -> -0.064029850746268657;
    # / 6311520 = -1.01449176663...e-8 -> -0.000000010144917666.
    assert compute_next_inflation(D("0.13"), PARAMS, dec.ONE) == D("0.129999989855082334")


def test_inflation_moves_by_the_distance_to_the_goal() -> None:
    # Half the goal bonded: (1 - 0.335/0.67) * 0.13 = 0.065 a year; / 6311520 = 1.02986285395...e-8.
    assert compute_next_inflation(D("0.13"), PARAMS, D("0.335")) == D("0.130000010298628540")


def test_inflation_is_clamped_at_the_maximum() -> None:
    assert compute_next_inflation(D("0.2"), PARAMS, D("0")) == D("0.2")
    assert compute_next_inflation(D("0.25"), PARAMS, D("0.67")) == D("0.2")  # after a change of params


def test_inflation_is_clamped_at_the_minimum() -> None:
    assert compute_next_inflation(D("0.07"), PARAMS, dec.ONE) == D("0.07")
    assert compute_next_inflation(D("0.01"), PARAMS, D("0.67")) == D("0.07")


def test_annual_provisions_are_the_rate_times_the_supply_exactly() -> None:
    assert compute_annual_provisions(D("0.130000020597257079"), 10**15) == D("130000020597257.079")


@pytest.mark.parametrize(
    ("annual_provisions", "minted"),
    [
        ("130000020597257.079", 20_597_260),  # 20597260.3425572728...
        ("130000000000000", 20_597_257),  # 20597257.0791188176...
        ("6311519.999999999999999999", 0),  # 0.99999999999999999984...: 0.999999999999999999, then 0
        ("6311520", 1),
    ],
)
def test_block_provision_is_truncated(annual_provisions: str, minted: int) -> None:
    assert compute_block_provision(D(annual_provisions), 6_311_520) == minted


@pytest.mark.parametrize(
    ("minted", "share", "pouw"),
    [
        (20_597_257, "0.1", 2_059_725),  # 2059725.7
        (20_597_260, "0.1", 2_059_726),
        (9, "0.1", 0),
        (7, "1", 7),
        (7, "0", 0),
        (3, "0.333333333333333334", 1),  # 1.000000000000000002
    ],
)
def test_pouw_reward_is_the_truncated_share(minted: int, share: str, pouw: int) -> None:
    assert compute_pouw_reward(minted, D(share)) == pouw
