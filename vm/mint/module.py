"""mint in the module registry. It must come after bank and staking, whose keepers it
uses; its begin-block hook runs before distribution's would, so this block's coins
reach the fee collector before they are handed out, as in Cosmos."""

from __future__ import annotations

from functools import partial

from genesis.schema import MintGenesis, MintParams
from vm.mint import genesis, handlers, queries
from vm.mint.keeper import FEE_COLLECTOR, MINT, POUW_REWARDS, MintKeeper
from vm.mint.msgs import MsgUpdateParams
from vm.mint.params import validate_params
from vm.module import (
    Module,
    ModuleAccount,
    ModuleDef,
    ModuleGenesis,
    ModuleParams,
    Permission,
    Wiring,
    store_prefix,
)

NAME = "mint"


def build(wiring: Wiring) -> Module:
    if FEE_COLLECTOR not in wiring.accounts:
        raise LookupError(f"mint pays the {FEE_COLLECTOR!r} module account, which no module declares")
    params = ModuleParams(MintParams, validate_params, store_prefix(NAME))
    keeper = MintKeeper(store_prefix(NAME), params, wiring.keeper("bank"), wiring.keeper("staking"))
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            MintGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={MsgUpdateParams: partial(handlers.handle_update_params, keeper, wiring.authority)},
        queries={
            "inflation": partial(queries.query_inflation, keeper),
            "annual_provisions": partial(queries.query_annual_provisions, keeper),
        },
        services=queries.services(keeper),
        params=params,
        begin_block=partial(handlers.begin_block, keeper),
    )


MODULE = ModuleDef(
    NAME,
    build,
    accounts=(ModuleAccount(MINT, frozenset({Permission.MINTER})), ModuleAccount(POUW_REWARDS)),
)
