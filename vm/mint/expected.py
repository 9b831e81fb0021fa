"""What the mint module needs from other modules."""

from __future__ import annotations

from typing import Protocol

from vm.dec import Dec
from vm.store.cache import ReadStore, Store
from vm.types import Coin


class BankKeeper(Protocol):
    def mint(self, store: Store, module: str, coins: list[Coin]) -> None: ...

    def send_between_modules(self, store: Store, sender: str, recipient: str, coins: list[Coin]) -> None: ...


class StakingKeeper(Protocol):
    """Cosmos's ``StakingKeeper`` of x/mint: the staking module provides both."""

    def bonded_ratio(self, store: ReadStore) -> Dec:
        """Bonded tokens over the staking token supply (zero when the supply is zero)."""
        ...

    def staking_token_supply(self, store: ReadStore) -> int:
        """Total supply of the bond denom."""
        ...
