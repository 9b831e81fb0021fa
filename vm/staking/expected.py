"""What the staking module needs from other modules."""

from __future__ import annotations

from typing import Protocol

from vm.store.cache import ReadStore, Store
from vm.types import Address, Coin


class BankKeeper(Protocol):
    def send_to_module(self, store: Store, sender: Address, module: str, coins: list[Coin]) -> None: ...

    def send_from_module(self, store: Store, module: str, recipient: Address, coins: list[Coin]) -> None: ...

    def send_between_modules(self, store: Store, sender: str, recipient: str, coins: list[Coin]) -> None: ...

    def burn(self, store: Store, module: str, coins: list[Coin]) -> None: ...

    def get_balance(self, store: ReadStore, address: Address, denom: str) -> int: ...

    def get_supply(self, store: ReadStore, denom: str) -> int: ...

    def module_address(self, module: str) -> Address: ...
