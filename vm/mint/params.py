"""mint params: Cosmos's x/mint params, checked by its rules, and the PoUW reward share.

``genesis.schema.MintParams`` is their JSON and stored form (decimals as LegacyDec text);
``Params`` holds the same values with the decimals as ``Dec`` atomics, as the minter
computes with them and as ``MsgUpdateParams`` carries them on the wire.
"""

from __future__ import annotations

from genesis.schema import MintParams
from vm import dec
from vm.dec import Dec
from vm.encoding import Canonical
from vm.errors import InvalidRequest
from vm.types import Uint64, is_valid_denom


class Params(Canonical, frozen=True):
    """The fields of ``depind.mint.v1.Params``, in its order."""

    mint_denom: str
    inflation_rate_change: Dec
    inflation_max: Dec
    inflation_min: Dec
    goal_bonded: Dec
    blocks_per_year: Uint64
    pouw_reward_share: Dec


def parse_params(params: MintParams) -> Params:
    return Params(
        mint_denom=params.mint_denom,
        inflation_rate_change=parse_dec(params.inflation_rate_change, "inflation_rate_change"),
        inflation_max=parse_dec(params.inflation_max, "inflation_max"),
        inflation_min=parse_dec(params.inflation_min, "inflation_min"),
        goal_bonded=parse_dec(params.goal_bonded, "goal_bonded"),
        blocks_per_year=params.blocks_per_year,
        pouw_reward_share=parse_dec(params.pouw_reward_share, "pouw_reward_share"),
    )


def format_params(params: Params) -> MintParams:
    """The JSON form, decimals written as Cosmos writes them ("0.130000000000000000")."""
    return MintParams(
        mint_denom=params.mint_denom,
        inflation_rate_change=dec.format(params.inflation_rate_change),
        inflation_max=dec.format(params.inflation_max),
        inflation_min=dec.format(params.inflation_min),
        goal_bonded=dec.format(params.goal_bonded),
        blocks_per_year=params.blocks_per_year,
        pouw_reward_share=dec.format(params.pouw_reward_share),
    )


def validate_params(params: MintParams) -> None:
    check_params(parse_params(params))


def check_params(params: Params) -> None:
    """Cosmos's ``Params.Validate`` (x/mint, SDK v0.50), and the share is a fraction."""
    if not params.mint_denom.strip():
        raise InvalidRequest("mint denom cannot be blank")
    if not is_valid_denom(params.mint_denom):
        raise InvalidRequest(f"invalid denom: {params.mint_denom[:128]}")
    _check_fraction(params.inflation_rate_change, "inflation rate change")
    _check_fraction(params.inflation_max, "max inflation")
    _check_fraction(params.inflation_min, "min inflation")
    if params.goal_bonded <= 0:
        raise InvalidRequest(f"goal bonded must be positive: {dec.format(params.goal_bonded)}")
    if params.goal_bonded > dec.ONE:
        raise InvalidRequest(f"goal bonded too large: {dec.format(params.goal_bonded)}")
    if params.blocks_per_year <= 0:
        raise InvalidRequest(f"blocks per year must be positive: {params.blocks_per_year}")
    if params.inflation_max < params.inflation_min:
        raise InvalidRequest(
            f"max inflation ({dec.format(params.inflation_max)}) must be greater than or equal "
            f"to min inflation ({dec.format(params.inflation_min)})"
        )
    _check_fraction(params.pouw_reward_share, "pouw reward share")


def _check_fraction(value: Dec, what: str) -> None:
    if value < 0:
        raise InvalidRequest(f"{what} cannot be negative: {dec.format(value)}")
    if value > dec.ONE:
        raise InvalidRequest(f"{what} too large: {dec.format(value)}")


def parse_dec(text: str, what: str) -> Dec:
    try:
        return dec.parse(text)
    except dec.DecError as error:
        raise InvalidRequest(f"{what}: {error}") from None
