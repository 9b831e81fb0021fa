"""provider in the module registry."""

from __future__ import annotations

from functools import partial

from genesis.schema import ProviderGenesis, ProviderParams
from vm.module import Module, ModuleAccount, ModuleDef, ModuleGenesis, ModuleParams, Wiring, store_prefix
from vm.module import update_params_handler as update_params
from vm.provider import genesis, handlers, queries
from vm.provider.invariants import collateral_backed
from vm.provider.keeper import ProviderKeeper
from vm.provider.msgs import MsgExitProvider, MsgRegisterProvider, MsgUpdateParams, MsgUpdateProvider
from vm.provider.params import validate_params

NAME = "provider"


def build(wiring: Wiring) -> Module:
    params = ModuleParams(ProviderParams, validate_params, store_prefix(NAME))
    keeper = ProviderKeeper(store_prefix(NAME), params, wiring.keeper("bank"))
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            ProviderGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgRegisterProvider: partial(handlers.handle_register, keeper),
            MsgUpdateProvider: partial(handlers.handle_update, keeper),
            MsgExitProvider: partial(handlers.handle_exit, keeper),
            MsgUpdateParams: update_params(params, wiring.authority),
        },
        queries={
            "provider": partial(queries.query_provider, keeper),
            "providers": partial(queries.query_providers, keeper),
        },
        services=queries.services(keeper, params),
        params=params,
        end_block=partial(handlers.end_block, keeper),
        invariants={"collateral-backed": partial(collateral_backed, keeper)},
    )


MODULE = ModuleDef(NAME, build, accounts=(ModuleAccount(handlers.POOL),))
