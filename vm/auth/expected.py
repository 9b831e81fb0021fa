"""What the auth module needs from other modules."""

from __future__ import annotations

from typing import Protocol

from vm.store.cache import Store
from vm.types import Address, Coin


class BankKeeper(Protocol):
    def send_to_module(self, store: Store, sender: Address, module: str, coins: list[Coin]) -> None: ...
