"""staking in the module registry."""

from __future__ import annotations

from functools import partial

from genesis.schema import StakingGenesis, StakingParams
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
from vm.staking import genesis, handlers, invariants, queries, services
from vm.staking.keeper import StakingKeeper
from vm.staking.msgs import (
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgCreateValidator,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
    MsgUpdateParams,
)
from vm.staking.params import validate_params
from vm.staking.store import BONDED_POOL, NOT_BONDED_POOL

NAME = "staking"
POOL_PERMISSIONS = frozenset({Permission.BURNER, Permission.STAKING})


def build(wiring: Wiring) -> Module:
    params = ModuleParams(StakingParams, validate_params, store_prefix(NAME))
    keeper = StakingKeeper(store_prefix(NAME), params, wiring.keeper("bank"))
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            StakingGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgCreateValidator: partial(handlers.handle_create_validator, keeper),
            MsgEditValidator: partial(handlers.handle_edit_validator, keeper),
            MsgDelegate: partial(handlers.handle_delegate, keeper),
            MsgUndelegate: partial(handlers.handle_undelegate, keeper),
            MsgBeginRedelegate: partial(handlers.handle_begin_redelegate, keeper),
            MsgCancelUnbondingDelegation: partial(handlers.handle_cancel_unbonding_delegation, keeper),
            MsgUpdateParams: partial(handlers.handle_update_params, keeper, wiring.authority),
        },
        queries={
            "validator": partial(queries.query_validator, keeper),
            "validators": partial(queries.query_validators, keeper),
            "delegations": partial(queries.query_delegations, keeper),
            "unbonding_delegations": partial(queries.query_unbonding_delegations, keeper),
            "redelegations": partial(queries.query_redelegations, keeper),
            "pool": partial(queries.query_pool, keeper),
        },
        services=services.services(keeper),
        params=params,
        end_block=partial(handlers.end_block, keeper),
        invariants={
            "module-accounts": partial(invariants.module_accounts, keeper),
            "delegator-shares": partial(invariants.delegator_shares, keeper),
            "positive-amounts": partial(invariants.positive_amounts, keeper),
            "power-index": partial(invariants.power_index, keeper),
        },
    )


MODULE = ModuleDef(
    NAME,
    build,
    accounts=(ModuleAccount(BONDED_POOL, POOL_PERMISSIONS), ModuleAccount(NOT_BONDED_POOL, POOL_PERMISSIONS)),
)
