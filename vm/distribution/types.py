"""distribution's records, as the keeper works with them (vm/distribution/store.py
encodes them), in Cosmos's terms (x/distribution/types/distribution.proto).

A validator's rewards are counted in *periods*. Its current period gathers the
delegators' share of what it is allocated; ending the period (when any delegation to
it changes, or it is slashed) adds that share per token to the cumulative ratio of
the historical record of the period. A delegation remembers the period before it
began and its stake: its rewards are its stake times the growth of the ratio since.
"""

from __future__ import annotations

from typing import NamedTuple

from vm import crypto
from vm.dec import Dec
from vm.distribution.deccoins import DecCoins
from vm.errors import InvalidAddress
from vm.types import Address


class CurrentRewards(NamedTuple):
    rewards: DecCoins  # the delegators' share allocated since the period began
    period: int


class HistoricalRewards(NamedTuple):
    cumulative_reward_ratio: DecCoins  # rewards per token, from the first period to this one
    reference_count: int  # delegations, slash events and the current period that refer to it


class StartingInfo(NamedTuple):
    previous_period: int  # the period that ended when the delegation last changed
    stake: Dec  # the tokens it was worth then (truncated)
    height: int


class SlashEvent(NamedTuple):
    height: int
    validator_period: int  # the period the slash ended
    fraction: Dec  # of the validator's tokens


# -- validator operator addresses (depinvaloper1...) ---------------------------------------------


def format_valoper(operator: bytes) -> str:
    return crypto.encode_address(operator, crypto.VALOPER_HRP)


def parse_valoper(text: str, field: str = "validator address") -> Address:
    try:
        return Address(crypto.decode_address(text, crypto.VALOPER_HRP))
    except crypto.InvalidAddress as exc:
        raise InvalidAddress(f"{field}: {exc}") from None
