"""What the market does when the provider module says a provider is changing: it refuses
hardware that drops GPUs its offers and leases commit, and closes everything of a
provider that exits (so its collateral is released only once nothing depends on it)."""

from __future__ import annotations

from collections.abc import Sequence

from vm.context import Context
from vm.market.expected import GpuI
from vm.market.keeper import MarketKeeper
from vm.types import Address


class MarketProviderHooks:
    def __init__(self, keeper: MarketKeeper) -> None:
        self.keeper = keeper

    def before_gpus_changed(self, ctx: Context, owner: Address, gpus: Sequence[GpuI]) -> None:
        self.keeper.check_gpus(ctx.store, owner, gpus)

    def before_provider_exit(self, ctx: Context, owner: Address) -> None:
        self.keeper.close_provider(ctx, owner)
