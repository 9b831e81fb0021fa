"""Provider hooks: what other modules are told before a provider changes its GPUs or exits.

A module registers with ``ProviderKeeper.set_hooks`` when it is built (the market does, to
keep its offers and leases within what providers registered); receivers are called in
registration order. A hook raises an ``InvalidTx`` subclass to refuse the change: the tx
fails with it.
"""

from __future__ import annotations

from typing import Protocol

from vm.context import Context
from vm.provider.msgs import GpuSpec
from vm.types import Address


class ProviderHooks(Protocol):
    def before_gpus_changed(self, ctx: Context, owner: Address, gpus: list[GpuSpec]) -> None:
        """``owner`` is about to register ``gpus`` in place of its current GPUs."""
        ...

    def before_provider_exit(self, ctx: Context, owner: Address) -> None:
        """``owner`` is exiting: nothing may depend on its GPUs or collateral afterwards."""
        ...
