"""The minter's arithmetic, as Cosmos SDK v0.50's x/mint ``Minter`` does it, in ``Dec``
atomics with Cosmos's rounding (vm/dec.py), and the PoUW pool's share of a block's coins.

Each block the inflation rate moves toward the rate that brings the bonded ratio to
``goal_bonded``: by at most ``inflation_rate_change`` a year (so that divided by
``blocks_per_year`` a block), up when less is bonded than the goal, down when more is,
and always within ``[inflation_min, inflation_max]``.
"""

from __future__ import annotations

from typing import NamedTuple

from genesis.schema import MinterJSON
from vm import dec
from vm.dec import Dec
from vm.mint.params import Params, parse_dec


class Minter(NamedTuple):
    inflation: Dec  # the current annual inflation rate
    annual_provisions: Dec  # coins a year minted at that rate


def parse_minter(minter: MinterJSON) -> Minter:
    return Minter(
        parse_dec(minter.inflation, "inflation"), parse_dec(minter.annual_provisions, "annual_provisions")
    )


def format_minter(minter: Minter) -> MinterJSON:
    return MinterJSON(
        inflation=dec.format(minter.inflation), annual_provisions=dec.format(minter.annual_provisions)
    )


INITIAL_MINTER = parse_minter(MinterJSON())  # Cosmos's DefaultInitialMinter: 13% a year


def compute_next_inflation(inflation: Dec, params: Params, bonded_ratio: Dec) -> Dec:
    """``(1 - bonded_ratio / goal_bonded) * inflation_rate_change / blocks_per_year`` added
    to ``inflation``, clamped (Cosmos's ``NextInflationRate``)."""
    change_per_year = dec.mul(
        dec.ONE - dec.quo(bonded_ratio, params.goal_bonded), params.inflation_rate_change
    )
    change = dec.quo(change_per_year, dec.from_int(params.blocks_per_year))
    moved = inflation + change
    if moved > params.inflation_max:
        return params.inflation_max
    if moved < params.inflation_min:
        return params.inflation_min
    return moved


def compute_annual_provisions(inflation: Dec, staking_token_supply: int) -> Dec:
    """Cosmos's ``NextAnnualProvisions``: the rate times the supply, exactly."""
    return dec.mul_int(inflation, staking_token_supply)


def compute_block_provision(annual_provisions: Dec, blocks_per_year: int) -> int:
    """Cosmos's ``BlockProvision``: a year's provisions over the blocks in a year, truncated
    (both the quotient's 18th digit and then its fraction)."""
    return dec.truncate_int(dec.quo_int(annual_provisions, blocks_per_year))


def compute_pouw_reward(minted: int, pouw_reward_share: Dec) -> int:
    """The PoUW reward pool's part of ``minted`` coins, truncated: the remainder, fraction of
    a coin included, goes to the fee collector, so no coin is lost to rounding."""
    return dec.truncate_int(dec.mul_int(pouw_reward_share, minted))
