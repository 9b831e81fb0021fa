"""provider params: minimum collateral, unbonding delay, exits released per block."""

from __future__ import annotations

from genesis.schema import ProviderParams
from vm.types import Coin, validate_coin


def validate_params(params: ProviderParams) -> None:
    validate_coin(Coin(params.min_collateral.denom, params.min_collateral.amount), "min_collateral")
