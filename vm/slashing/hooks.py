"""What slashing does when staking tells it a validator changed (Cosmos's x/slashing hooks).

Staking calls every hook of its ``StakingHooks`` protocol on each receiver; slashing acts
on two of them and lets the others pass.
"""

from __future__ import annotations

import msgspec

from vm.context import Context
from vm.dec import Dec
from vm.slashing.keeper import SlashingKeeper
from vm.slashing.types import new_signing_info
from vm.types import Address


class SlashingHooks:
    def __init__(self, keeper: SlashingKeeper) -> None:
        self.keeper = keeper

    def after_validator_bonded(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        """Its window starts now: a new signing info, or the old one with a new start height
        (a validator bonded again keeps its jail and tombstone records)."""
        store = ctx.store
        info = self.keeper.get_signing_info(store, cons_address)
        if info is None:
            info = new_signing_info(ctx.env.height)
        else:
            info = msgspec.structs.replace(info, start_height=ctx.env.height)
        self.keeper.set_signing_info(store, cons_address, info)

    def after_validator_removed(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        """Forget a removed validator's window, unless it is tombstoned: the tombstone stays
        with its consensus key, so a validator made again with that key is never punished
        twice for one offence nor unjailed (Cosmos keeps every signing info for ever)."""
        store = ctx.store
        info = self.keeper.get_signing_info(store, cons_address)
        if info is None or info.tombstoned:
            return
        self.keeper.delete_signing_info(store, cons_address)
        self.keeper.delete_missed_blocks(store, cons_address)

    # -- hooks slashing does not act on -------------------------------------------------------

    def after_validator_created(self, ctx: Context, operator: Address) -> None:
        pass

    def before_validator_modified(self, ctx: Context, operator: Address) -> None:
        pass

    def after_validator_begin_unbonding(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        pass

    def before_delegation_created(self, ctx: Context, delegator: Address, operator: Address) -> None:
        pass

    def before_delegation_shares_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        pass

    def before_delegation_removed(self, ctx: Context, delegator: Address, operator: Address) -> None:
        pass

    def after_delegation_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        pass

    def before_validator_slashed(self, ctx: Context, operator: Address, fraction: Dec) -> None:
        pass

    def after_unbonding_initiated(self, ctx: Context, unbonding_id: int) -> None:
        pass
