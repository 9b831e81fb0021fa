"""provider invariants."""

from __future__ import annotations

from vm.provider.handlers import POOL
from vm.provider.keeper import ProviderKeeper
from vm.store.cache import ReadStore
from vm.types import format_address


def collateral_backed(keeper: ProviderKeeper, store: ReadStore) -> str | None:
    """The pool holds at least the collateral that exits will pay back."""
    pool = keeper.bank.module_address(POOL)
    for denom, owed in sorted(keeper.total_collateral(store).items()):
        held = keeper.bank.get_balance(store, pool, denom)
        if held < owed:
            return f"pool {format_address(pool)} holds {held}{denom}, less than {owed}{denom} of collateral"
    return None
