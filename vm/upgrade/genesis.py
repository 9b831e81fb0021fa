"""upgrade genesis: validate, init, export (export then init round-trips)."""

from __future__ import annotations

from genesis.upgrade import AppliedPlanJSON, PlanJSON, UpgradeGenesis
from vm.context import Context
from vm.errors import InvalidRequest
from vm.store.cache import ReadStore
from vm.upgrade.keeper import UpgradeKeeper
from vm.upgrade.types import Plan, validate_plan


def validate_genesis(state: UpgradeGenesis) -> None:
    """Every plan valid, applied names unique, and the scheduled plan not among them."""
    names: set[str] = set()
    for applied in state.applied:
        validate_plan(Plan(applied.name, applied.height, ""))  # the name and height it ran as
        if applied.name in names:
            raise InvalidRequest(f"upgrade {applied.name} is applied twice")
        names.add(applied.name)
    if state.plan is not None:
        validate_plan(to_plan(state.plan))
        if state.plan.name in names:
            raise InvalidRequest(f"upgrade with name {state.plan.name} has already been completed")


def init_genesis(keeper: UpgradeKeeper, ctx: Context, state: UpgradeGenesis) -> None:
    if state.plan is not None:
        keeper.set_plan(ctx.store, to_plan(state.plan))
    for applied in state.applied:
        keeper.set_applied(ctx.store, applied.name, applied.height)


def export_genesis(keeper: UpgradeKeeper, store: ReadStore) -> UpgradeGenesis:
    plan = keeper.get_plan(store)
    return UpgradeGenesis(
        plan=None if plan is None else PlanJSON(name=plan.name, height=plan.height, info=plan.info),
        applied=[AppliedPlanJSON(name=name, height=height) for name, height in keeper.applied_plans(store)],
    )


def to_plan(plan: PlanJSON) -> Plan:
    return Plan(plan.name, plan.height, plan.info)
