"""A validator's reward periods (Cosmos's x/distribution keeper/validator.go).

Historical records are reference-counted: the current period refers to the one
before it, each delegation to the period before it began, each slash event to the
period it ended. A record nothing refers to is deleted, so a validator keeps a few
records whatever its history, plus one per slash.
"""

from __future__ import annotations

from vm import dec
from vm.dec import Dec
from vm.distribution.deccoins import EMPTY
from vm.distribution.expected import ValidatorI
from vm.distribution.store import DistributionStore
from vm.distribution.types import CurrentRewards, HistoricalRewards, SlashEvent, format_valoper
from vm.registry import InvariantBroken
from vm.store.cache import ReadStore, Store

MAX_REFERENCES = 3  # Cosmos panics beyond this: the scheme above never needs more


def initialize_validator(keeper: DistributionStore, store: Store, operator: bytes) -> None:
    """Period 0 (referred to by the current period, 1) and nothing accumulated."""
    keeper.set_historical(store, operator, 0, HistoricalRewards(EMPTY, 1))
    keeper.set_current(store, operator, CurrentRewards(EMPTY, 1))
    keeper.set_commission(store, operator, EMPTY)
    keeper.set_outstanding(store, operator, EMPTY)


def increment_validator_period(keeper: DistributionStore, store: Store, validator: ValidatorI) -> int:
    """End the current period: its rewards per token go into the cumulative ratio of a new
    historical record; returns the period ended. A validator without tokens has no ratio
    to add to: its current rewards go to the community pool."""
    operator = validator.operator
    current = _current(keeper, store, operator)
    if validator.tokens == 0:
        keeper.add_to_community_pool(store, current.rewards)
        keeper.set_outstanding(store, operator, keeper.get_outstanding(store, operator) - current.rewards)
        ratio = EMPTY
    else:
        # truncated, so that no delegation is ever owed more than was allocated
        ratio = current.rewards.quo_dec_truncate(dec.from_int(validator.tokens))
    previous = get_historical(keeper, store, operator, current.period - 1)
    decrement_reference_count(keeper, store, operator, current.period - 1)
    record = HistoricalRewards(previous.cumulative_reward_ratio + ratio, 1)
    keeper.set_historical(store, operator, current.period, record)
    keeper.set_current(store, operator, CurrentRewards(EMPTY, current.period + 1))
    return current.period


def increment_reference_count(keeper: DistributionStore, store: Store, operator: bytes, period: int) -> None:
    record = get_historical(keeper, store, operator, period)
    if record.reference_count >= MAX_REFERENCES:
        raise InvariantBroken(f"reference count of period {period} of {format_valoper(operator)} exceeds 3")
    keeper.set_historical(
        store, operator, period, record._replace(reference_count=record.reference_count + 1)
    )


def decrement_reference_count(keeper: DistributionStore, store: Store, operator: bytes, period: int) -> None:
    """One reference fewer; the record goes with its last one."""
    record = get_historical(keeper, store, operator, period)
    if record.reference_count == 1:
        keeper.delete_historical(store, operator, period)
    else:
        keeper.set_historical(
            store, operator, period, record._replace(reference_count=record.reference_count - 1)
        )


def record_slash(
    keeper: DistributionStore, store: Store, validator: ValidatorI, height: int, fraction: Dec
) -> None:
    """Cosmos's ``updateValidatorSlashFraction``: end the period (rewards earned before the
    slash count on the stake before it) and keep the fraction, which delegations whose
    period spans it apply to their stake."""
    if not 0 <= fraction <= dec.ONE:
        raise InvariantBroken(f"slash fraction must be in [0, 1], got {dec.format(fraction)}")
    period = increment_validator_period(keeper, store, validator)
    increment_reference_count(keeper, store, validator.operator, period)
    keeper.set_slash_event(store, validator.operator, SlashEvent(height, period, fraction))


def get_historical(
    keeper: DistributionStore, store: ReadStore, operator: bytes, period: int
) -> HistoricalRewards:
    record = keeper.get_historical(store, operator, period)
    if record is None:
        raise InvariantBroken(f"no historical rewards for period {period} of {format_valoper(operator)}")
    return record


def _current(keeper: DistributionStore, store: Store, operator: bytes) -> CurrentRewards:
    current = keeper.get_current(store, operator)
    if current is None:
        raise InvariantBroken(f"no current rewards for validator {format_valoper(operator)}")
    return current
