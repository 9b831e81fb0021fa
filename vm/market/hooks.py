"""What the market does when the provider module says a provider is changing: it refuses
hardware that drops GPUs its offers and leases commit, and closes everything of a
provider that exits (so its collateral is released only once nothing depends on it).

And when staking says a delegation is made or removed: it counts each delegator's
delegations (``staker/``), so that the premium check of a requester that holds none, the
most common, reads one key and not its delegations (vm/market/premium.py). The count is
exact: these two hooks run wherever staking makes or removes a delegation but in an
exported genesis, whose delegations the market's genesis counts (vm/market/genesis.py)."""

from __future__ import annotations

from collections.abc import Sequence

from vm.context import Context
from vm.dec import Dec
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


class MarketStakingHooks:
    """Staking's hooks (its ``StakingHooks``): the market acts on two and lets the others pass."""

    def __init__(self, keeper: MarketKeeper) -> None:
        self.keeper = keeper

    def before_delegation_created(self, ctx: Context, delegator: Address, operator: Address) -> None:
        self.keeper.add_delegations(ctx.store, delegator, 1)

    def before_delegation_removed(self, ctx: Context, delegator: Address, operator: Address) -> None:
        self.keeper.add_delegations(ctx.store, delegator, -1)

    def after_validator_created(self, ctx: Context, operator: Address) -> None:
        pass

    def before_validator_modified(self, ctx: Context, operator: Address) -> None:
        pass

    def after_validator_removed(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        pass

    def after_validator_bonded(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        pass

    def after_validator_begin_unbonding(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        pass

    def before_delegation_shares_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        pass

    def after_delegation_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        pass

    def before_validator_slashed(self, ctx: Context, operator: Address, fraction: Dec) -> None:
        pass

    def after_unbonding_initiated(self, ctx: Context, unbonding_id: int) -> None:
        pass
