"""bank genesis: validate, init, export."""

from __future__ import annotations

from genesis.schema import Balance, BankGenesis, CoinJSON
from vm.bank import keeper
from vm.errors import InvalidRequest
from vm.params.keeper import set_params
from vm.store.cache import Store
from vm.store.kv import prefix_end
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


def init_genesis(store: Store, state: BankGenesis) -> None:
    set_params(store, "bank", state.params)
    for balance in state.balances:
        keeper.mint(store, parse_address(balance.address), _coins(balance.coins))


def export_genesis(store: Store) -> BankGenesis:
    balances: dict[bytes, list[CoinJSON]] = {}
    for key, value in store.iterate(keeper.BALANCE_PREFIX, prefix_end(keeper.BALANCE_PREFIX)):
        address, denom = key[4:24], key[24:].decode()
        balances.setdefault(address, []).append(CoinJSON(denom=denom, amount=int.from_bytes(value, "big")))
    return BankGenesis(
        params=keeper.get_bank_params(store),
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
