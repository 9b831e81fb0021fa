"""bank genesis: validate, init, export."""

from __future__ import annotations

from genesis.schema import Balance, BankGenesis, CoinJSON
from vm.bank.keeper import BankKeeper
from vm.context import Context
from vm.errors import InvalidRequest
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address, parse_address, validate_coins


def validate_genesis(state: BankGenesis) -> None:
    seen: set[str] = set()
    for balance in state.balances:
        parse_address(balance.address, "bank balance address")
        if balance.address in seen:
            raise InvalidRequest(f"duplicate balance for {balance.address}")
        seen.add(balance.address)
        validate_coins(_coins(balance.coins), f"balance of {balance.address}")
    computed = _total(state.balances)
    if state.supply and {c.denom: c.amount for c in state.supply} != computed:
        raise InvalidRequest(f"bank supply {state.supply} does not equal the sum of balances {computed}")


def init_genesis(keeper: BankKeeper, ctx: Context, state: BankGenesis) -> None:
    keeper.params.set(ctx.store, state.params)
    for balance in state.balances:
        keeper.init_balance(ctx.store, parse_address(balance.address), _coins(balance.coins))


def export_genesis(keeper: BankKeeper, store: ReadStore) -> BankGenesis:
    balances: dict[bytes, list[CoinJSON]] = {}
    for address, coin in keeper.iterate_balances(store):
        balances.setdefault(address, []).append(CoinJSON(denom=coin.denom, amount=coin.amount))
    return BankGenesis(
        params=keeper.get_params(store),
        balances=[Balance(address=format_address(Address(a)), coins=c) for a, c in balances.items()],
        supply=[CoinJSON(denom=c.denom, amount=c.amount) for c in keeper.get_total_supply(store)],
    )


def _coins(coins: list[CoinJSON]) -> list[Coin]:
    return [Coin(c.denom, c.amount) for c in coins]


def _total(balances: list[Balance]) -> dict[str, int]:
    total: dict[str, int] = {}
    for balance in balances:
        for coin in balance.coins:
            total[coin.denom] = total.get(coin.denom, 0) + coin.amount
    return total
