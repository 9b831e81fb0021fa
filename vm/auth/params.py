"""auth params: memo size, gas for bytes and signatures, the minimum gas price."""

from __future__ import annotations

from genesis.schema import AuthParams
from vm.errors import InvalidRequest
from vm.types import is_valid_denom


def validate_params(params: AuthParams) -> None:
    if not is_valid_denom(params.fee_denom):
        raise InvalidRequest(f"invalid fee denom {params.fee_denom!r}")
    if params.min_gas_price_denominator <= 0:
        raise InvalidRequest("min_gas_price_denominator must be positive")
