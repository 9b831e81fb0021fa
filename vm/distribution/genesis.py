"""distribution genesis: validate, init, export (export then init round-trips).

A new chain's section holds only params (and perhaps a community pool): the records of
its validators and delegations are made by the staking hooks as staking's genesis and
the gentxs create them. An exported section holds every record, written back as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from genesis.schema import (
    CurrentRewardsJSON,
    DecCoinJSON,
    DistributionGenesis,
    HistoricalRewardsJSON,
    SlashEventJSON,
    StartingInfoJSON,
    ValidatorRewardsJSON,
    WithdrawAddressJSON,
)
from vm import dec
from vm.context import Context
from vm.dec import Dec
from vm.distribution.deccoins import DecCoins
from vm.distribution.keeper import DistributionKeeper
from vm.distribution.params import format_params, parse_params, validate_params
from vm.distribution.store import MODULE_ACCOUNT
from vm.distribution.types import (
    CurrentRewards,
    HistoricalRewards,
    SlashEvent,
    StartingInfo,
    format_valoper,
    parse_valoper,
)
from vm.errors import InvalidRequest
from vm.store.cache import ReadStore
from vm.types import Address, format_address, format_coins, is_valid_denom, parse_address


class Records(NamedTuple):
    community_pool: DecCoins
    withdraw_addresses: list[tuple[Address, Address]]
    outstanding: list[tuple[Address, DecCoins]]
    commissions: list[tuple[Address, DecCoins]]
    historical: list[tuple[Address, int, HistoricalRewards]]
    current: list[tuple[Address, CurrentRewards]]
    starting: list[tuple[Address, Address, StartingInfo]]
    slashes: list[tuple[Address, SlashEvent]]


def validate_genesis(state: DistributionGenesis) -> None:
    parse_genesis(state)


def parse_genesis(state: DistributionGenesis) -> Records:
    """The section's records, each checked (valid addresses, decimals that are not
    negative, no record given twice)."""
    validate_params(state.params)
    records = Records(
        community_pool=_dec_coins(state.community_pool, "community pool"),
        withdraw_addresses=[_withdraw(w) for w in state.withdraw_addresses],
        outstanding=[_validator_rewards(r, "outstanding rewards") for r in state.outstanding_rewards],
        commissions=[_validator_rewards(r, "commission") for r in state.accumulated_commissions],
        historical=[_historical(h) for h in state.historical_rewards],
        current=[_current(c) for c in state.current_rewards],
        starting=[_starting(s) for s in state.starting_infos],
        slashes=[_slash(s) for s in state.slash_events],
    )
    _unique([d for d, _ in records.withdraw_addresses], "withdraw address")
    _unique([v for v, _ in records.outstanding], "outstanding rewards")
    _unique([v for v, _ in records.commissions], "commission")
    _unique([(v, p) for v, p, _ in records.historical], "historical rewards")
    _unique([v for v, _ in records.current], "current rewards")
    _unique([(v, d) for v, d, _ in records.starting], "starting info")
    _unique([(v, e.height, e.validator_period) for v, e in records.slashes], "slash event")
    return records


def init_genesis(keeper: DistributionKeeper, ctx: Context, state: DistributionGenesis) -> None:
    """Write the section; the module account must hold what its records count (Cosmos's
    InitGenesis check), so bank's genesis, before this one, must have funded it."""
    records = parse_genesis(state)
    store = ctx.store
    params = parse_params(state.params)
    keeper.params.set(store, format_params(params.community_tax, params.withdraw_addr_enabled))
    keeper.set_community_pool(store, records.community_pool)
    for delegator, withdraw in records.withdraw_addresses:
        keeper.set_withdraw_address(store, delegator, withdraw)
    for operator, outstanding in records.outstanding:
        keeper.set_outstanding(store, operator, outstanding)
    for operator, commission in records.commissions:
        keeper.set_commission(store, operator, commission)
    for operator, period, historical in records.historical:
        keeper.set_historical(store, operator, period, historical)
    for operator, current in records.current:
        keeper.set_current(store, operator, current)
    for operator, delegator, info in records.starting:
        keeper.set_starting_info(store, operator, delegator, info)
    for operator, event in records.slashes:
        keeper.set_slash_event(store, operator, event)
    _check_module_balance(keeper, store)


def _check_module_balance(keeper: DistributionKeeper, store: ReadStore) -> None:
    expected, _ = keeper.module_holdings(store).truncate()
    held = keeper.bank.get_all_balances(store, keeper.bank.module_address(MODULE_ACCOUNT))
    if held != expected:
        raise InvalidRequest(
            "distribution module balance does not match the module holdings: "
            f"{format_coins(held)} <-> {format_coins(expected)}"
        )


def export_genesis(keeper: DistributionKeeper, store: ReadStore) -> DistributionGenesis:
    return DistributionGenesis(
        params=keeper.params.get(store),
        community_pool=_json_coins(keeper.get_community_pool(store)),
        withdraw_addresses=[
            WithdrawAddressJSON(delegator_address=format_address(d), withdraw_address=format_address(w))
            for d, w in keeper.iterate_withdraw_addresses(store)
        ],
        outstanding_rewards=[
            ValidatorRewardsJSON(validator_address=format_valoper(v), rewards=_json_coins(r))
            for v, r in keeper.iterate_outstanding(store)
        ],
        accumulated_commissions=[
            ValidatorRewardsJSON(validator_address=format_valoper(v), rewards=_json_coins(c))
            for v, c in keeper.iterate_commissions(store)
        ],
        historical_rewards=[
            HistoricalRewardsJSON(
                validator_address=format_valoper(v),
                period=p,
                cumulative_reward_ratio=_json_coins(h.cumulative_reward_ratio),
                reference_count=h.reference_count,
            )
            for v, p, h in keeper.iterate_historical(store)
        ],
        current_rewards=[
            CurrentRewardsJSON(
                validator_address=format_valoper(v), rewards=_json_coins(c.rewards), period=c.period
            )
            for v, c in keeper.iterate_current(store)
        ],
        starting_infos=[
            StartingInfoJSON(
                delegator_address=format_address(d),
                validator_address=format_valoper(v),
                previous_period=i.previous_period,
                stake=dec.format(i.stake),
                height=i.height,
            )
            for v, d, i in keeper.iterate_starting_infos(store)
        ],
        slash_events=[
            SlashEventJSON(
                validator_address=format_valoper(v),
                height=e.height,
                period=e.validator_period,
                fraction=dec.format(e.fraction),
            )
            for v, e in keeper.iterate_slash_events(store)
        ],
    )


# -- parsing ------------------------------------------------------------------------------------


def _dec(text: str, what: str) -> Dec:
    try:
        value = dec.parse(text)
    except dec.DecError as error:
        raise InvalidRequest(f"distribution genesis: {what}: {error}") from None
    if value < 0:
        raise InvalidRequest(f"distribution genesis: {what} cannot be negative: {text}")
    return value


def _dec_coins(coins: Sequence[DecCoinJSON], what: str) -> DecCoins:
    denoms = [coin.denom for coin in coins]
    if denoms != sorted(set(denoms)) or not all(map(is_valid_denom, denoms)):
        raise InvalidRequest(f"distribution genesis: {what}: denoms must be valid, sorted and distinct")
    return DecCoins((coin.denom, _dec(coin.amount, what)) for coin in coins)


def _json_coins(coins: DecCoins) -> list[DecCoinJSON]:
    return [DecCoinJSON(denom=denom, amount=dec.format(amount)) for denom, amount in coins.items()]


def _withdraw(record: WithdrawAddressJSON) -> tuple[Address, Address]:
    return parse_address(record.delegator_address), parse_address(record.withdraw_address)


def _validator_rewards(record: ValidatorRewardsJSON, what: str) -> tuple[Address, DecCoins]:
    return parse_valoper(record.validator_address), _dec_coins(record.rewards, what)


def _historical(record: HistoricalRewardsJSON) -> tuple[Address, int, HistoricalRewards]:
    ratio = _dec_coins(record.cumulative_reward_ratio, "cumulative reward ratio")
    return (
        parse_valoper(record.validator_address),
        record.period,
        HistoricalRewards(ratio, record.reference_count),
    )


def _current(record: CurrentRewardsJSON) -> tuple[Address, CurrentRewards]:
    rewards = _dec_coins(record.rewards, "current rewards")
    return parse_valoper(record.validator_address), CurrentRewards(rewards, record.period)


def _starting(record: StartingInfoJSON) -> tuple[Address, Address, StartingInfo]:
    info = StartingInfo(record.previous_period, _dec(record.stake, "stake"), record.height)
    return parse_valoper(record.validator_address), parse_address(record.delegator_address), info


def _slash(record: SlashEventJSON) -> tuple[Address, SlashEvent]:
    fraction = _dec(record.fraction, "slash fraction")
    if fraction > dec.ONE:
        raise InvalidRequest(f"distribution genesis: slash fraction above one: {record.fraction}")
    return parse_valoper(record.validator_address), SlashEvent(record.height, record.period, fraction)


def _unique(keys: Iterable[Any], what: str) -> None:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            raise InvalidRequest(f"distribution genesis: duplicate {what}")
        seen.add(key)
