"""A delegation's rewards (Cosmos's x/distribution keeper/delegation.go and the withdrawals
of keeper.go).

A delegation's rewards are its stake times the growth of its validator's cumulative
reward ratio between the period before it began and the period that ends when it is
withdrawn. A slash in between ends a period: the stake counts whole before it and
reduced by the slash's fraction after. Whole coins are paid; the fractions a
withdrawal cannot pay go to the community pool.
"""

from __future__ import annotations

from vm import dec
from vm.context import Context
from vm.dec import Dec
from vm.distribution import events
from vm.distribution.deccoins import EMPTY, DecCoins, NegativeDecCoins
from vm.distribution.errors import EmptyDelegationDistInfo, NoValidatorCommission
from vm.distribution.expected import DelegationI, ValidatorI
from vm.distribution.periods import (
    decrement_reference_count,
    get_historical,
    increment_reference_count,
    increment_validator_period,
)
from vm.distribution.store import MODULE_ACCOUNT, DistributionStore
from vm.distribution.types import StartingInfo, format_valoper
from vm.registry import InvariantBroken
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin, format_address, format_coins

STAKE_MARGIN: Dec = 3  # atomics: how far the stake slashes leave may exceed the shares' worth


def initialize_delegation(
    keeper: DistributionStore, store: Store, height: int, validator: ValidatorI, delegation: DelegationI
) -> None:
    """Start counting a delegation's rewards from the period that just ended (every change
    to a delegation ends one), with its stake now, truncated."""
    current = keeper.get_current(store, validator.operator)
    if current is None:
        raise InvariantBroken(f"no current rewards for validator {format_valoper(validator.operator)}")
    previous = current.period - 1
    increment_reference_count(keeper, store, validator.operator, previous)
    stake = dec.quo_truncate(dec.mul_int(delegation.shares, validator.tokens), validator.delegator_shares)
    keeper.set_starting_info(
        store, validator.operator, delegation.delegator, StartingInfo(previous, stake, height)
    )


def rewards_between(
    keeper: DistributionStore, store: ReadStore, operator: bytes, start: int, end: int, stake: Dec
) -> DecCoins:
    """``stake`` times the growth of the ratio from period ``start`` to ``end``, truncated."""
    if start > end or stake < 0:
        raise InvariantBroken(f"rewards between periods {start} and {end} on a stake of {stake}")
    starting = get_historical(keeper, store, operator, start).cumulative_reward_ratio
    ending = get_historical(keeper, store, operator, end).cumulative_reward_ratio
    try:
        difference = ending - starting
    except NegativeDecCoins:
        raise InvariantBroken(f"the reward ratio of {format_valoper(operator)} went down") from None
    return difference.mul_dec_truncate(stake)


def calculate_delegation_rewards(
    keeper: DistributionStore,
    store: ReadStore,
    validator: ValidatorI,
    delegation: DelegationI,
    ending_period: int,
    height: int | None = None,
) -> DecCoins:
    """The rewards of ``delegation`` up to ``ending_period``, slashes up to ``height``
    (None: all) applied to its stake in the periods they ended."""
    operator = validator.operator
    info = keeper.get_starting_info(store, operator, delegation.delegator)
    if info is None:
        raise EmptyDelegationDistInfo()
    start, stake, rewards = info.previous_period, info.stake, EMPTY
    for event in keeper.slash_events(store, operator, info.height, height):
        if event.validator_period > start:  # earlier ones ended before the delegation began
            rewards += rewards_between(keeper, store, operator, start, event.validator_period, stake)
            stake = dec.mul_truncate(stake, dec.ONE - event.fraction)
            start = event.validator_period
    stake = _checked_stake(validator, delegation, stake)
    return rewards + rewards_between(keeper, store, operator, start, ending_period, stake)


def _checked_stake(validator: ValidatorI, delegation: DelegationI, stake: Dec) -> Dec:
    """The stake the slashes left, against what the shares are worth now: slashing by
    periods truncates at each step, so it may round down a little less than the single
    computation does. Cosmos tolerates 3 atomics of difference; more is a bug."""
    current = dec.quo(dec.mul_int(delegation.shares, validator.tokens), validator.delegator_shares)
    if stake <= current:
        return stake
    if stake <= current + STAKE_MARGIN:
        return current
    raise InvariantBroken(
        f"calculated final stake for delegator {format_address(Address(delegation.delegator))} "
        f"greater than current stake: {dec.format(stake)} > {dec.format(current)}"
    )


def withdraw_delegation_rewards(
    keeper: DistributionStore, ctx: Context, validator: ValidatorI, delegation: DelegationI
) -> list[Coin]:
    """Pay a delegation's rewards to its withdraw address and forget its starting point
    (the caller starts a new one if the delegation goes on); returns the coins paid."""
    store, operator, delegator = ctx.store, validator.operator, Address(delegation.delegator)
    info = keeper.get_starting_info(store, operator, delegator)
    if info is None:
        raise EmptyDelegationDistInfo()
    ending_period = increment_validator_period(keeper, store, validator)
    owed = calculate_delegation_rewards(keeper, store, validator, delegation, ending_period, ctx.env.height)
    outstanding = keeper.get_outstanding(store, operator)
    rewards = owed.intersect(outstanding)  # rounding must never pay what was not allocated
    coins, remainder = rewards.truncate()
    if coins:
        keeper.bank.send_from_module(
            store, MODULE_ACCOUNT, keeper.get_withdraw_address(store, delegator), coins
        )
    keeper.set_outstanding(store, operator, outstanding - rewards)
    keeper.add_to_community_pool(store, remainder)
    decrement_reference_count(keeper, store, operator, info.previous_period)
    keeper.delete_starting_info(store, operator, delegator)
    amount = format_coins(coins) or f"0{keeper.staking.bond_denom(store)}"  # Cosmos shows a zero coin
    ctx.emit(
        events.WithdrawRewards(
            amount=amount, validator=format_valoper(operator), delegator=format_address(delegator)
        )
    )
    return coins


def withdraw_validator_commission(keeper: DistributionStore, ctx: Context, operator: Address) -> list[Coin]:
    """Pay the whole coins of a validator's commission to its operator's withdraw address;
    the fractions stay for later."""
    store = ctx.store
    accumulated = keeper.get_commission(store, operator)
    if accumulated.is_zero():
        raise NoValidatorCommission()
    coins, remainder = accumulated.truncate()
    keeper.set_commission(store, operator, remainder)
    keeper.set_outstanding(
        store, operator, keeper.get_outstanding(store, operator) - DecCoins.from_coins(coins)
    )
    if coins:
        keeper.bank.send_from_module(
            store, MODULE_ACCOUNT, keeper.get_withdraw_address(store, operator), coins
        )
    ctx.emit(events.WithdrawCommission(amount=format_coins(coins)))
    return coins
