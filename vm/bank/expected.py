"""What the bank module needs from other modules."""

from __future__ import annotations

from typing import Any, Protocol

from vm.store.cache import Store
from vm.types import Address


class AccountKeeper(Protocol):
    def ensure_account(self, store: Store, address: Address) -> Any: ...
