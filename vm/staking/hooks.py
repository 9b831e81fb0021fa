"""Staking hooks: what other modules (distribution, slashing) are told as validators and
delegations change, at the points Cosmos's ``StakingHooks`` are called.

A module registers with ``StakingKeeper.set_hooks`` when it is built; receivers are
called in registration order, which is the module list's order (Cosmos's
``MultiStakingHooks``). A hook raises an ``InvalidTx`` subclass to reject the change:
the tx (or block) fails with it. Unlike Cosmos, which logs and ignores the failures of
a few hooks, depind never swallows one.
"""

from __future__ import annotations

from typing import Protocol

from vm.context import Context
from vm.dec import Dec
from vm.types import Address


class StakingHooks(Protocol):
    def after_validator_created(self, ctx: Context, operator: Address) -> None: ...

    def before_validator_modified(self, ctx: Context, operator: Address) -> None: ...

    def after_validator_removed(self, ctx: Context, cons_address: bytes, operator: Address) -> None: ...

    def after_validator_bonded(self, ctx: Context, cons_address: bytes, operator: Address) -> None: ...

    def after_validator_begin_unbonding(
        self, ctx: Context, cons_address: bytes, operator: Address
    ) -> None: ...

    def before_delegation_created(self, ctx: Context, delegator: Address, operator: Address) -> None: ...

    def before_delegation_shares_modified(
        self, ctx: Context, delegator: Address, operator: Address
    ) -> None: ...

    def before_delegation_removed(self, ctx: Context, delegator: Address, operator: Address) -> None: ...

    def after_delegation_modified(self, ctx: Context, delegator: Address, operator: Address) -> None: ...

    def before_validator_slashed(self, ctx: Context, operator: Address, fraction: Dec) -> None: ...

    def after_unbonding_initiated(self, ctx: Context, unbonding_id: int) -> None: ...


class NoHooks:
    """Every hook, doing nothing: subclass it and override what you need."""

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


class MultiHooks:
    """Every registered receiver, in registration order."""

    def __init__(self) -> None:
        self.receivers: list[StakingHooks] = []

    def after_validator_created(self, ctx: Context, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.after_validator_created(ctx, operator)

    def before_validator_modified(self, ctx: Context, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.before_validator_modified(ctx, operator)

    def after_validator_removed(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.after_validator_removed(ctx, cons_address, operator)

    def after_validator_bonded(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.after_validator_bonded(ctx, cons_address, operator)

    def after_validator_begin_unbonding(self, ctx: Context, cons_address: bytes, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.after_validator_begin_unbonding(ctx, cons_address, operator)

    def before_delegation_created(self, ctx: Context, delegator: Address, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.before_delegation_created(ctx, delegator, operator)

    def before_delegation_shares_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.before_delegation_shares_modified(ctx, delegator, operator)

    def before_delegation_removed(self, ctx: Context, delegator: Address, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.before_delegation_removed(ctx, delegator, operator)

    def after_delegation_modified(self, ctx: Context, delegator: Address, operator: Address) -> None:
        for hooks in self.receivers:
            hooks.after_delegation_modified(ctx, delegator, operator)

    def before_validator_slashed(self, ctx: Context, operator: Address, fraction: Dec) -> None:
        for hooks in self.receivers:
            hooks.before_validator_slashed(ctx, operator, fraction)

    def after_unbonding_initiated(self, ctx: Context, unbonding_id: int) -> None:
        for hooks in self.receivers:
            hooks.after_unbonding_initiated(ctx, unbonding_id)
