"""slashing params: Cosmos's x/slashing params, checked by its rules.

``genesis.schema.SlashingParams`` is their JSON and stored form (decimals as LegacyDec
text, the jail duration in nanoseconds of header time); ``Params`` holds the decimals
as ``Dec`` atomics, as the rules compute with them.
"""

from __future__ import annotations

from typing import NamedTuple

from genesis.schema import SlashingParams
from vm import dec
from vm.dec import Dec
from vm.errors import InvalidRequest


class Params(NamedTuple):
    signed_blocks_window: int
    min_signed_per_window: Dec
    downtime_jail_duration_ns: int
    slash_fraction_double_sign: Dec
    slash_fraction_downtime: Dec


def parse_params(params: SlashingParams) -> Params:
    return Params(
        signed_blocks_window=params.signed_blocks_window,
        min_signed_per_window=parse_dec(params.min_signed_per_window, "min_signed_per_window"),
        downtime_jail_duration_ns=params.downtime_jail_duration_ns,
        slash_fraction_double_sign=parse_dec(params.slash_fraction_double_sign, "slash_fraction_double_sign"),
        slash_fraction_downtime=parse_dec(params.slash_fraction_downtime, "slash_fraction_downtime"),
    )


def format_params(params: Params) -> SlashingParams:
    """The JSON form, decimals written as Cosmos writes them ("0.500000000000000000")."""
    return SlashingParams(
        signed_blocks_window=params.signed_blocks_window,
        min_signed_per_window=dec.format(params.min_signed_per_window),
        downtime_jail_duration_ns=params.downtime_jail_duration_ns,
        slash_fraction_double_sign=dec.format(params.slash_fraction_double_sign),
        slash_fraction_downtime=dec.format(params.slash_fraction_downtime),
    )


def validate_params(params: SlashingParams) -> None:
    check_params(parse_params(params))


def check_params(params: Params) -> None:
    """Cosmos's ``Params.Validate`` (x/slashing, SDK v0.50), in its order."""
    if params.signed_blocks_window <= 0:
        raise InvalidRequest(f"signed blocks window must be positive: {params.signed_blocks_window}")
    _check_fraction(params.min_signed_per_window, "min signed per window")
    if params.downtime_jail_duration_ns <= 0:
        raise InvalidRequest(f"downtime jail duration must be positive: {params.downtime_jail_duration_ns}ns")
    _check_fraction(params.slash_fraction_double_sign, "double sign slash fraction")
    _check_fraction(params.slash_fraction_downtime, "downtime slash fraction")


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


def min_signed_blocks(params: Params) -> int:
    """Blocks a validator must sign per window: ``min_signed_per_window`` of it, rounded half
    to even (Cosmos's ``MinSignedPerWindow``)."""
    return dec.round_int(dec.mul_int(params.min_signed_per_window, params.signed_blocks_window))


def max_missed_blocks(params: Params) -> int:
    """More missed blocks than this in a window is downtime."""
    return params.signed_blocks_window - min_signed_blocks(params)
