"""staking params: Cosmos's, with the unbonding period in blocks, the power reduction
and the per-block budget of completions."""

from __future__ import annotations

from genesis.schema import StakingParams
from vm import dec
from vm.dec import Dec
from vm.errors import InvalidRequest
from vm.types import is_valid_denom


def validate_params(params: StakingParams) -> None:
    if not is_valid_denom(params.bond_denom):
        raise InvalidRequest(f"invalid bond denom {params.bond_denom!r}")
    rate = parse_rate(params.min_commission_rate, "min_commission_rate")
    if rate < 0:
        raise InvalidRequest("minimum commission rate cannot be negative")
    if rate > dec.ONE:
        raise InvalidRequest("minimum commission rate cannot be greater than 100%")


def parse_rate(text: str, what: str) -> Dec:
    try:
        return dec.parse(text)
    except dec.DecError as error:
        raise InvalidRequest(f"{what}: {error}") from None


def min_commission_rate(params: StakingParams) -> Dec:
    return dec.parse(params.min_commission_rate)
