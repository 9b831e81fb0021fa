"""What the compute module needs from other modules: bank moves deposits, rewards and
slashed collateral; the market owns leases (and closes them when their work fails); the
provider keeper owns collateral, reputation and the measured capacity capacity challenges
record; staking tells the bonded validators; slashing punishes a validator for an
attestation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from vm.context import Context
from vm.dec import Dec
from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin


class BankKeeper(Protocol):
    def send_to_module(self, store: Store, sender: Address, module: str, coins: list[Coin]) -> None: ...

    def send_from_module(self, store: Store, module: str, recipient: Address, coins: list[Coin]) -> None: ...

    def burn(self, store: Store, module: str, coins: list[Coin]) -> None: ...

    def get_balance(self, store: ReadStore, address: Address, denom: str) -> int: ...

    def module_address(self, module: str) -> Address: ...


class LeaseI(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def offer_id(self) -> int: ...
    @property
    def provider(self) -> bytes: ...
    @property
    def requester(self) -> bytes: ...
    @property
    def accepted_height(self) -> int:
        """Set when its provider accepted it (charging started); 0 while pending."""
        ...

    @property
    def closed(self) -> object | None:
        """Its close record; None while it is open."""
        ...


def is_lease_open(lease: LeaseI | None) -> bool:
    return lease is not None and lease.closed is None


def is_lease_active(lease: LeaseI | None) -> bool:
    """Open and accepted: its provider is running it."""
    return is_lease_open(lease) and lease is not None and lease.accepted_height > 0


class OfferI(Protocol):
    @property
    def job_kinds(self) -> Sequence[str]: ...


class MarketKeeper(Protocol):
    def get_lease(self, store: ReadStore, lease_id: int) -> LeaseI | None: ...

    def get_offer(self, store: ReadStore, offer_id: int) -> OfferI | None: ...

    def fault_lease(self, ctx: Context, lease_id: int) -> object: ...

    def slash_lease(self, ctx: Context, lease_id: int) -> object: ...


class ProviderI(Protocol):
    @property
    def collateral(self) -> Coin: ...
    @property
    def measured_capacity(self) -> int: ...

    def is_active(self) -> bool: ...


class ProviderKeeper(Protocol):
    def get_provider(self, store: ReadStore, owner: Address) -> ProviderI | None: ...

    def adjust_reputation(self, store: Store, owner: Address, delta: int) -> int: ...

    def take_collateral(
        self, store: Store, owner: Address, amount: int, recipient: Address
    ) -> Coin | None: ...

    def set_measured_capacity(self, store: Store, owner: Address, capacity: int) -> None: ...


class ValidatorI(Protocol):
    @property
    def operator(self) -> bytes: ...
    @property
    def jailed(self) -> bool: ...

    def is_bonded(self) -> bool: ...


class StakingKeeper(Protocol):
    def bonded_validators(self, store: ReadStore) -> Sequence[tuple[ValidatorI, int]]:
        """The last set consensus was given, with each validator's power, in operator order."""
        ...


class SlashingKeeper(Protocol):
    def punish_attestation(
        self,
        ctx: Context,
        operator: bytes,
        infraction_height: int,
        power: int,
        fraction: Dec,
        jail: bool,
        reason: str,
    ) -> int:
        """Slash a validator ``fraction`` of the stake behind ``power`` at the infraction and,
        with ``jail``, jail it for the downtime jail duration; returns the tokens burnt."""
        ...
