"""What the provider module needs from other modules."""

from __future__ import annotations

from typing import Protocol

from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin


class BankKeeper(Protocol):
    def send(self, store: Store, sender: Address, recipient: Address, coins: list[Coin]) -> None: ...

    def balance(self, store: ReadStore, address: Address, denom: str) -> int: ...
