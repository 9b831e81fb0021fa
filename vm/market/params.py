"""market params (genesis/market.py ``MarketParams``): checked before every change."""

from __future__ import annotations

from genesis.market import MarketParams
from vm.errors import InvalidCoins, InvalidRequest
from vm.types import is_valid_denom


def validate_params(params: MarketParams) -> None:
    if not is_valid_denom(params.denom):
        raise InvalidCoins(f"market denom {params.denom!r} is invalid")
    if params.min_duration_s > params.max_duration_s:
        raise InvalidRequest("min_duration_s must not exceed max_duration_s")
    if params.premium_take_rate_bps > params.take_rate_bps:
        raise InvalidRequest("premium_take_rate_bps must not exceed take_rate_bps")
    if params.target_utilization_bps == 0:
        raise InvalidRequest("target_utilization_bps must be positive")
    if params.min_reference_price > params.max_price:
        raise InvalidRequest("min_reference_price must not exceed max_price")
