"""distribution params: Cosmos's x/distribution params, checked by its rules.

``genesis.schema.DistributionParams`` is their JSON and stored form (decimals as
LegacyDec text); ``Params`` holds the community tax as ``Dec`` atomics, as the
allocation computes with it. The proposer rewards, deprecated since Cosmos SDK v0.50,
must be zero: depind pays none.
"""

from __future__ import annotations

from typing import NamedTuple

from genesis.schema import DistributionParams
from vm import dec
from vm.dec import Dec
from vm.errors import InvalidRequest


class Params(NamedTuple):
    community_tax: Dec
    withdraw_addr_enabled: bool


def parse_params(params: DistributionParams) -> Params:
    return Params(parse_dec(params.community_tax, "community tax"), params.withdraw_addr_enabled)


def format_params(community_tax: Dec, withdraw_addr_enabled: bool) -> DistributionParams:
    """The stored form, the tax written as Cosmos writes it ("0.020000000000000000")."""
    return DistributionParams(
        community_tax=dec.format(community_tax), withdraw_addr_enabled=withdraw_addr_enabled
    )


def validate_params(params: DistributionParams) -> None:
    check_community_tax(parse_dec(params.community_tax, "community tax"))
    for name in ("base_proposer_reward", "bonus_proposer_reward"):
        if parse_dec(getattr(params, name), name) != 0:
            raise InvalidRequest(f"{name} is deprecated and must be zero")


def check_community_tax(value: Dec | None) -> Dec:
    """Cosmos's ``validateCommunityTax``; returns the tax it checked."""
    if value is None:
        raise InvalidRequest("community tax must be not nil")
    if value < 0:
        raise InvalidRequest(f"community tax must be positive: {dec.format(value)}")
    if value > dec.ONE:
        raise InvalidRequest(f"community tax too large: {dec.format(value)}")
    return value


def parse_dec(text: str, what: str) -> Dec:
    try:
        return dec.parse(text)
    except dec.DecError as error:
        raise InvalidRequest(f"{what}: {error}") from None
