"""What the gov module needs from other modules (Cosmos's expected keepers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from vm.context import Context
from vm.dec import Dec
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin


class BankKeeper(Protocol):
    def get_all_balances(self, store: ReadStore, address: Address) -> list[Coin]: ...

    def send_to_module(self, store: Store, sender: Address, module: str, coins: list[Coin]) -> None: ...

    def send_from_module(self, store: Store, module: str, recipient: Address, coins: list[Coin]) -> None: ...

    def burn(self, store: Store, module: str, coins: list[Coin]) -> None: ...

    def module_address(self, module: str) -> Address: ...

    def is_blocked(self, address: Address) -> bool: ...


class DistributionKeeper(Protocol):
    def fund_community_pool(self, ctx: Context, depositor: Address, coins: list[Coin]) -> None: ...


class ValidatorI(Protocol):
    @property
    def operator(self) -> bytes: ...
    @property
    def tokens(self) -> int: ...
    @property
    def delegator_shares(self) -> Dec: ...

    def is_bonded(self) -> bool: ...


class DelegationI(Protocol):
    @property
    def delegator(self) -> bytes: ...
    @property
    def validator(self) -> bytes: ...
    @property
    def shares(self) -> Dec: ...


class StakingKeeper(Protocol):
    def bonded_validators(self, store: ReadStore) -> list[tuple[ValidatorI, int]]: ...

    def delegations_of(
        self, store: ReadStore, delegator: bytes, start: bytes = b""
    ) -> Iterator[DelegationI]: ...
