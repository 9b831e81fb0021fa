"""What the distribution module needs from other modules (Cosmos's expected keepers). The
registry fills them in with bank's and staking's keepers; the module registers its
staking hooks (vm/distribution/hooks.py) with staking when it is built (module.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from vm.dec import Dec
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin


class BankKeeper(Protocol):
    def get_balance(self, store: ReadStore, address: Address, denom: str) -> int: ...

    def get_all_balances(self, store: ReadStore, address: Address) -> list[Coin]: ...

    def send_to_module(self, store: Store, sender: Address, module: str, coins: list[Coin]) -> None: ...

    def send_from_module(self, store: Store, module: str, recipient: Address, coins: list[Coin]) -> None: ...

    def send_between_modules(self, store: Store, sender: str, recipient: str, coins: list[Coin]) -> None: ...

    def module_address(self, module: str) -> Address: ...

    def is_blocked(self, address: Address) -> bool: ...


class CommissionRatesI(Protocol):
    @property
    def rate(self) -> Dec: ...


class CommissionI(Protocol):
    @property
    def rates(self) -> CommissionRatesI: ...


class ValidatorI(Protocol):
    """Cosmos's ``ValidatorI``: what distribution reads of a validator."""

    @property
    def operator(self) -> bytes: ...
    @property
    def tokens(self) -> int: ...
    @property
    def delegator_shares(self) -> Dec: ...
    @property
    def commission(self) -> CommissionI: ...


class DelegationI(Protocol):
    @property
    def delegator(self) -> bytes: ...
    @property
    def validator(self) -> bytes: ...
    @property
    def shares(self) -> Dec: ...


class StakingKeeper(Protocol):
    def get_validator(self, store: ReadStore, operator: bytes) -> ValidatorI | None: ...

    def get_validator_by_cons_addr(self, store: ReadStore, cons_address: bytes) -> ValidatorI | None: ...

    def get_delegation(self, store: ReadStore, delegator: bytes, operator: bytes) -> DelegationI | None: ...

    def delegations_of(self, store: ReadStore, delegator: bytes) -> Iterator[DelegationI]: ...

    def bond_denom(self, store: ReadStore) -> str: ...
