"""Balances and supply. Only this module touches the ``bal/`` and ``supply/``
prefixes; other modules move coins through ``send`` and the module-account
helpers, so the supply invariant holds by construction."""

from __future__ import annotations

from genesis.schema import BankParams
from vm.auth.keeper import ensure_account
from vm.errors import InsufficientFunds, InvalidCoins
from vm.params.keeper import get_params
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.types import Address, Coin

BALANCE_PREFIX = b"bal/"
SUPPLY_PREFIX = b"supply/"
MAX_AMOUNT = 2**63 - 1


def balance_key(address: Address, denom: str) -> bytes:
    return BALANCE_PREFIX + address + denom.encode()


def get_balance(store: ReadStore, address: Address, denom: str) -> int:
    raw = store.get(balance_key(address, denom))
    return 0 if raw is None else int.from_bytes(raw, "big")


def get_all_balances(store: ReadStore, address: Address) -> list[Coin]:
    start = BALANCE_PREFIX + address
    return [
        Coin(key[len(start) :].decode(), int.from_bytes(value, "big"))
        for key, value in store.iterate(start, prefix_end(start))
    ]


def get_supply(store: ReadStore, denom: str) -> int:
    raw = store.get(SUPPLY_PREFIX + denom.encode())
    return 0 if raw is None else int.from_bytes(raw, "big")


def get_total_supply(store: ReadStore) -> list[Coin]:
    return [
        Coin(key[len(SUPPLY_PREFIX) :].decode(), int.from_bytes(value, "big"))
        for key, value in store.iterate(SUPPLY_PREFIX, prefix_end(SUPPLY_PREFIX))
    ]


def get_bank_params(store: ReadStore) -> BankParams:
    return get_params(store, "bank", BankParams)


def _set_balance(store: Store, address: Address, denom: str, amount: int) -> None:
    key = balance_key(address, denom)
    if amount == 0:
        store.delete(key)
    else:
        store.set(key, amount.to_bytes(8, "big"))


def _set_supply(store: Store, denom: str, amount: int) -> None:
    key = SUPPLY_PREFIX + denom.encode()
    if amount == 0:
        store.delete(key)
    else:
        store.set(key, amount.to_bytes(8, "big"))


def subtract_coins(store: Store, address: Address, coins: list[Coin]) -> None:
    for coin in coins:
        have = get_balance(store, address, coin.denom)
        if have < coin.amount:
            raise InsufficientFunds(
                f"spendable balance {have}{coin.denom} is smaller than {coin.amount}{coin.denom}"
            )
        _set_balance(store, address, coin.denom, have - coin.amount)


def add_coins(store: Store, address: Address, coins: list[Coin]) -> None:
    ensure_account(store, address)
    for coin in coins:
        total = get_balance(store, address, coin.denom) + coin.amount
        if total > MAX_AMOUNT:
            raise InvalidCoins(f"balance of {coin.denom} would overflow 64 bits")
        _set_balance(store, address, coin.denom, total)


def send(store: Store, sender: Address, recipient: Address, coins: list[Coin]) -> None:
    subtract_coins(store, sender, coins)
    add_coins(store, recipient, coins)


def mint(store: Store, recipient: Address, coins: list[Coin]) -> None:
    """Create coins (genesis and rewards only): supply grows with the balance."""
    for coin in coins:
        total = get_supply(store, coin.denom) + coin.amount
        if total > MAX_AMOUNT:
            raise InvalidCoins(f"supply of {coin.denom} would overflow 64 bits")
        _set_supply(store, coin.denom, total)
    add_coins(store, recipient, coins)


class BankKeeper:
    """The narrow face other modules see (their ``expected.BankKeeper``)."""

    def send(self, store: Store, sender: Address, recipient: Address, coins: list[Coin]) -> None:
        send(store, sender, recipient, coins)

    def balance(self, store: ReadStore, address: Address, denom: str) -> int:
        return get_balance(store, address, denom)
