"""upgrade in the module registry. Its step at the start of each block is not a begin-block
hook: the application runs it before every module's hooks (vm/upgrade/abci.py), with the
migrations of its binary and the node's skip heights."""

from __future__ import annotations

from functools import partial

from genesis.upgrade import UpgradeGenesis
from vm.module import Module, ModuleDef, ModuleGenesis, Wiring, store_prefix
from vm.upgrade import genesis, handlers, queries
from vm.upgrade.keeper import UpgradeKeeper
from vm.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade

NAME = "upgrade"


def build(wiring: Wiring) -> Module:
    keeper = UpgradeKeeper(store_prefix(NAME))
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            UpgradeGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgSoftwareUpgrade: partial(handlers.handle_software_upgrade, keeper, wiring.authority),
            MsgCancelUpgrade: partial(handlers.handle_cancel_upgrade, keeper, wiring.authority),
        },
        queries={
            "current_plan": partial(queries.query_current_plan, keeper),
            "applied_plan": partial(queries.query_applied_plan, keeper),
        },
        services=queries.services(keeper, wiring.authority),
    )


MODULE = ModuleDef(NAME, build)
