"""provider params: minimum collateral, unbonding delay, exits released per block, and the
bounds of reputation."""

from __future__ import annotations

from genesis.schema import ProviderParams
from vm.errors import InvalidRequest
from vm.types import Coin, validate_coin


def validate_params(params: ProviderParams) -> None:
    validate_coin(Coin(params.min_collateral.denom, params.min_collateral.amount), "min_collateral")
    if params.initial_reputation > params.max_reputation:
        raise InvalidRequest("initial_reputation must not exceed max_reputation")
