"""bank in the module registry."""

from __future__ import annotations

from functools import partial

from genesis.schema import BankGenesis, BankParams
from vm.bank import genesis, handlers, queries
from vm.bank.keeper import BankKeeper, supply_invariant
from vm.bank.msgs import MsgMultiSend, MsgSend, MsgUpdateParams
from vm.module import Module, ModuleDef, ModuleGenesis, ModuleParams, Wiring, store_prefix
from vm.module import update_params_handler as update_params

NAME = "bank"


def _validate_params(params: BankParams) -> None:
    """Every BankParams value is valid: the type says it all."""


def build(wiring: Wiring) -> Module:
    params = ModuleParams(BankParams, _validate_params, store_prefix(NAME))
    keeper = BankKeeper(store_prefix(NAME), params, wiring.keeper("auth"), wiring.accounts)
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            BankGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgSend: partial(handlers.handle_send, keeper),
            MsgMultiSend: partial(handlers.handle_multi_send, keeper),
            MsgUpdateParams: update_params(params, wiring.authority),
        },
        queries={
            "balances": partial(queries.query_balances, keeper),
            "supply": partial(queries.query_supply, keeper),
        },
        services=queries.services(keeper, params),
        params=params,
        invariants={"total-supply": partial(supply_invariant, keeper)},
    )


MODULE = ModuleDef(NAME, build)
