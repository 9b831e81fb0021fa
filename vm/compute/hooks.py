"""What compute does when the provider module says a provider is changing: it refuses the
exit of a provider with jobs not settled, so the collateral a verdict may slash is still
bonded when the verdict comes."""

from __future__ import annotations

from collections.abc import Sequence

from vm.compute.keeper import ComputeKeeper
from vm.context import Context
from vm.types import Address


class ComputeProviderHooks:
    def __init__(self, keeper: ComputeKeeper) -> None:
        self.keeper = keeper

    def before_gpus_changed(self, ctx: Context, owner: Address, gpus: Sequence[object]) -> None:
        """Jobs run on leases, which the market keeps within the registered GPUs."""

    def before_provider_exit(self, ctx: Context, owner: Address) -> None:
        self.keeper.check_provider_exit(ctx.store, owner)
