"""What the market needs from other modules: bank moves escrow, the provider keeper owns
providers (hardware, region, reputation, collateral), the staking keeper tells delegated
stake for the premium tier and says, through its hooks, when a delegation is made or removed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin


class BankKeeper(Protocol):
    def send_to_module(self, store: Store, sender: Address, module: str, coins: list[Coin]) -> None: ...

    def send_from_module(self, store: Store, module: str, recipient: Address, coins: list[Coin]) -> None: ...

    def send_between_modules(self, store: Store, sender: str, recipient: str, coins: list[Coin]) -> None: ...

    def get_balance(self, store: ReadStore, address: Address, denom: str) -> int: ...

    def module_address(self, module: str) -> Address: ...


class GpuI(Protocol):
    @property
    def model(self) -> str: ...
    @property
    def memory_mib(self) -> int: ...
    @property
    def compute_capability(self) -> str: ...
    @property
    def count(self) -> int: ...


class ProviderI(Protocol):
    @property
    def gpus(self) -> Sequence[GpuI]: ...
    @property
    def region(self) -> str: ...
    @property
    def reputation(self) -> int: ...
    @property
    def measured_capacity(self) -> int: ...

    def is_active(self) -> bool: ...


class ProviderKeeper(Protocol):
    def get_provider(self, store: ReadStore, owner: Address) -> ProviderI | None: ...

    def adjust_reputation(self, store: Store, owner: Address, delta: int) -> int: ...

    def take_collateral(
        self, store: Store, owner: Address, amount: int, recipient: Address
    ) -> Coin | None: ...


class DelegationI(Protocol):
    @property
    def delegator(self) -> bytes: ...


class StakingKeeper(Protocol):
    def delegated_tokens(self, store: ReadStore, delegator: bytes, max_entries: int) -> int:
        """What the delegator's first ``max_entries`` delegations are worth now, in tokens."""
        ...

    def iterate_delegations(self, store: ReadStore) -> Iterator[DelegationI]: ...
