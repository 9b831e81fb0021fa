"""upgrade's message handlers, and this release's table of migrations.

``KNOWN`` maps an upgrade's name to the migration this binary runs for it. It is empty in
this release: no upgrade has been planned yet. The release that a governance proposal's
``MsgSoftwareUpgrade`` names adds its entry here (the plan's name, and a function that
brings state from the previous release's shape to its own), and nothing else changes: at
the plan's height the previous release stops (``UpgradeNeeded``) and this one runs the
migration as the first step of that block (docs/upgrades.md).

Keep every past entry as long as a node may replay its block: a node syncing from genesis
runs each migration at its height.
"""

from __future__ import annotations

from vm.context import Context
from vm.errors import Unauthorized
from vm.types import Address, format_address
from vm.upgrade.events import UpgradeCancelled, UpgradeScheduled
from vm.upgrade.keeper import UpgradeKeeper
from vm.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade
from vm.upgrade.types import Plan, UpgradeHandler

KNOWN: dict[str, UpgradeHandler] = {}


def handle_software_upgrade(
    keeper: UpgradeKeeper, authority: Address, ctx: Context, msg: MsgSoftwareUpgrade
) -> None:
    check_authority(authority, msg.authority)
    msg.plan.validate()
    plan = msg.plan.to_plan()
    replaced = keeper.schedule_upgrade(ctx.store, plan, ctx.env.height)
    if replaced is not None:
        ctx.emit(cancelled(replaced))
    ctx.emit(UpgradeScheduled(name=plan.name, height=str(plan.height)))


def handle_cancel_upgrade(
    keeper: UpgradeKeeper, authority: Address, ctx: Context, msg: MsgCancelUpgrade
) -> None:
    """Cancelling when nothing is scheduled does nothing, as in Cosmos."""
    check_authority(authority, msg.authority)
    cleared = keeper.clear_plan(ctx.store)
    if cleared is not None:
        ctx.emit(cancelled(cleared))


def check_authority(authority: Address, signer: str) -> None:
    if signer != format_address(authority):
        raise Unauthorized(f"expected {format_address(authority)} as authority, got {signer}")


def cancelled(plan: Plan) -> UpgradeCancelled:
    return UpgradeCancelled(name=plan.name, height=str(plan.height))
