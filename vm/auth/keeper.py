"""Accounts: number, sequence and public key, keyed by raw address, under ``auth/``."""

from __future__ import annotations

from collections.abc import Iterator

from genesis.schema import AuthParams
from vm.encoding import Canonical, decode, encode
from vm.module import ModuleParams
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Address, Uint64

ACCOUNT_PREFIX = b"acc/"
NEXT_NUMBER_KEY = b"next_account_number"


class Account(Canonical, frozen=True):
    address: bytes
    account_number: Uint64
    sequence: Uint64
    pubkey: bytes  # empty until the account's first signed tx


def decode_account(raw: bytes) -> Account:
    return decode(raw, Account)


def required_fee(params: AuthParams, gas_limit: int) -> int:
    """ceil(gas_limit * min_gas_price), in integers."""
    numerator = gas_limit * params.min_gas_price_numerator
    return -(-numerator // params.min_gas_price_denominator)


class AuthKeeper:
    def __init__(self, prefix: bytes, params: ModuleParams[AuthParams]) -> None:
        self.prefix = prefix
        self._view = PrefixView(prefix)
        self.params = params

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def account_key(self, address: Address) -> bytes:
        """The account's key in the root store (for proofs)."""
        return self.prefix + ACCOUNT_PREFIX + address

    def get_params(self, store: ReadStore) -> AuthParams:
        return self.params.get(store)

    def get_account(self, store: ReadStore, address: Address) -> Account | None:
        raw = self._kv(store).get(ACCOUNT_PREFIX + address)
        return None if raw is None else decode_account(raw)

    def set_account(self, store: Store, account: Account) -> None:
        self._kv(store).set(ACCOUNT_PREFIX + account.address, encode(account))

    def iterate_accounts(self, store: ReadStore) -> Iterator[Account]:
        for _, raw in self._kv(store).iterate(ACCOUNT_PREFIX, prefix_end(ACCOUNT_PREFIX)):
            yield decode_account(raw)

    def next_account_number(self, store: Store) -> int:
        kv = self._kv(store)
        raw = kv.get(NEXT_NUMBER_KEY)
        number = 0 if raw is None else int.from_bytes(raw, "big")
        kv.set(NEXT_NUMBER_KEY, (number + 1).to_bytes(8, "big"))
        return number

    def reserve_account_number(self, store: Store, number: int) -> None:
        """Make sure ``number`` is never handed out again (genesis accounts with fixed numbers)."""
        kv = self._kv(store)
        raw = kv.get(NEXT_NUMBER_KEY)
        if raw is None or int.from_bytes(raw, "big") <= number:
            kv.set(NEXT_NUMBER_KEY, (number + 1).to_bytes(8, "big"))

    def ensure_account(self, store: Store, address: Address) -> Account:
        """The account at ``address``, created with the next number if new (as a bank send does)."""
        account = self.get_account(store, address)
        if account is None:
            account = Account(address, self.next_account_number(store), 0, b"")
            self.set_account(store, account)
        return account
