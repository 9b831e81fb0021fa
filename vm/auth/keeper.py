"""Accounts: number, sequence and public key, keyed by raw address."""

from __future__ import annotations

from genesis.schema import AuthParams
from vm.encoding import Canonical, decode, encode
from vm.params.keeper import get_params
from vm.store.cache import ReadStore, Store
from vm.types import Address, Uint64

PREFIX = b"acc/"
NEXT_NUMBER_KEY = b"auth/next_account_number"


class Account(Canonical, frozen=True):
    address: bytes
    account_number: Uint64
    sequence: Uint64
    pubkey: bytes  # empty until the account's first signed tx


def account_key(address: Address) -> bytes:
    return PREFIX + address


def decode_account(raw: bytes) -> Account:
    return decode(raw, Account)


def get_account(store: ReadStore, address: Address) -> Account | None:
    raw = store.get(account_key(address))
    return None if raw is None else decode_account(raw)


def set_account(store: Store, account: Account) -> None:
    store.set(account_key(Address(account.address)), encode(account))


def next_account_number(store: Store) -> int:
    raw = store.get(NEXT_NUMBER_KEY)
    number = 0 if raw is None else int.from_bytes(raw, "big")
    store.set(NEXT_NUMBER_KEY, (number + 1).to_bytes(8, "big"))
    return number


def reserve_account_number(store: Store, number: int) -> None:
    """Make sure ``number`` is never handed out again (genesis accounts with fixed numbers)."""
    raw = store.get(NEXT_NUMBER_KEY)
    if raw is None or int.from_bytes(raw, "big") <= number:
        store.set(NEXT_NUMBER_KEY, (number + 1).to_bytes(8, "big"))


def ensure_account(store: Store, address: Address) -> Account:
    """The account at ``address``, created with the next number if new (as a bank send does)."""
    account = get_account(store, address)
    if account is None:
        account = Account(address, next_account_number(store), 0, b"")
        set_account(store, account)
    return account


def get_auth_params(store: ReadStore) -> AuthParams:
    return get_params(store, "auth", AuthParams)


def required_fee(params: AuthParams, gas_limit: int) -> int:
    """ceil(gas_limit * min_gas_price), in integers."""
    numerator = gas_limit * params.min_gas_price_numerator
    return -(-numerator // params.min_gas_price_denominator)
