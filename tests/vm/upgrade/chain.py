"""A chain for upgrade tests: the default modules, with an upgrade plan in genesis if asked."""

from __future__ import annotations

from genesis.schema import GenesisDoc
from genesis.upgrade import AppliedPlanJSON, PlanJSON, UpgradeGenesis
from tests.vm.helpers import make_genesis, with_app_state
from vm.modules import default_registry
from vm.upgrade.keeper import UpgradeKeeper

KEEPER: UpgradeKeeper = default_registry().keeper("upgrade")


def upgrade_genesis(
    plan: tuple[str, int] | None = None, applied: dict[str, int] | None = None, info: str = ""
) -> GenesisDoc:
    """The usual test genesis, with ``plan`` (name, height) scheduled and ``applied`` done."""
    section = UpgradeGenesis(
        plan=None if plan is None else PlanJSON(name=plan[0], height=plan[1], info=info),
        applied=[AppliedPlanJSON(name=n, height=h) for n, h in sorted((applied or {}).items())],
    )
    return with_app_state(make_genesis(), upgrade=section)
