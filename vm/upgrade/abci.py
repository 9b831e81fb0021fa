"""The step that opens every block, before any module's begin-block hook (Cosmos's
x/upgrade ``PreBlocker``).

A plan is due at block H when its height is at most H (a plan imported in genesis may lie
in the past; a message can only schedule one after its block). When a plan is due:

- H is one of this node's skip heights: the plan is cleared, nothing migrates;
- this binary has the plan's migration: it runs, and the plan is applied at H;
- else the block cannot run on this binary: ``UpgradeNeeded``.

While a plan waits for a later height, a binary that already has its migration must not
execute blocks (``BinaryUpdatedEarly``): it would run them as the next release, which only
migrated state can.

The handlers and skip heights are the node's (its binary and its command line); everything
else is read from state, so every node with the same binary and skips decides the same.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from vm.context import Context
from vm.store.cache import ReadStore
from vm.upgrade.errors import BinaryUpdatedEarly, UpgradeNeeded
from vm.upgrade.events import UpgradeApplied, UpgradeSkipped
from vm.upgrade.keeper import UpgradeKeeper
from vm.upgrade.types import Plan, UpgradeHandler


def is_due(plan: Plan, height: int) -> bool:
    """Cosmos's ``Plan.ShouldExecute``."""
    return plan.height <= height


def pre_block(
    keeper: UpgradeKeeper,
    ctx: Context,
    handlers: Mapping[str, UpgradeHandler],
    skip_heights: Collection[int],
) -> None:
    """Run, skip or refuse the plan due at this block; raise ``UpgradeHalt`` if this binary
    must not execute it."""
    height = ctx.env.height
    plan = keeper.get_plan(ctx.store)
    if plan is None:
        return
    if not is_due(plan, height):
        if plan.name in handlers:
            raise BinaryUpdatedEarly(plan.name, plan.height)
        return
    if height in skip_heights:
        keeper.clear_plan(ctx.store)
        ctx.emit(UpgradeSkipped(name=plan.name, height=str(plan.height)))
        return
    migrate = handlers.get(plan.name)
    if migrate is None:
        raise UpgradeNeeded(plan.name, height, plan.info)
    keeper.apply_upgrade(ctx, plan, migrate)
    ctx.emit(UpgradeApplied(name=plan.name, height=str(height)))


def halting_plan(
    keeper: UpgradeKeeper,
    store: ReadStore,
    height: int,
    handlers: Mapping[str, UpgradeHandler],
    skip_heights: Collection[int],
) -> Plan | None:
    """The plan that ``pre_block`` would stop this binary for at block ``height``
    (``UpgradeNeeded``), or None."""
    plan = keeper.get_plan(store)
    if plan is None or not is_due(plan, height) or height in skip_heights or plan.name in handlers:
        return None
    return plan
