"""auth in the module registry: accounts, the fee collector and auth params."""

from __future__ import annotations

from functools import partial

from cosmpy.protos.cosmos.auth.v1beta1.query_pb2 import QueryAccountRequest

from genesis.schema import AuthGenesis, AuthParams
from vm.auth import genesis, queries
from vm.auth.ante import FEE_COLLECTOR_NAME
from vm.auth.keeper import AuthKeeper
from vm.auth.msgs import MsgUpdateParams
from vm.auth.params import validate_params
from vm.module import (
    Module,
    ModuleAccount,
    ModuleDef,
    ModuleGenesis,
    ModuleParams,
    Service,
    Wiring,
    store_prefix,
)
from vm.module import update_params_handler as update_params

NAME = "auth"


def build(wiring: Wiring) -> Module:
    params = ModuleParams(AuthParams, validate_params, store_prefix(NAME))
    keeper = AuthKeeper(store_prefix(NAME), params)
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            AuthGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={MsgUpdateParams: update_params(params, wiring.authority)},
        queries={"account": partial(queries.query_account, keeper)},
        services={
            "/cosmos.auth.v1beta1.Query/Account": Service(
                QueryAccountRequest, partial(queries.account_service, keeper)
            ),
        },
        params=params,
    )


MODULE = ModuleDef(NAME, build, accounts=(ModuleAccount(FEE_COLLECTOR_NAME),))
