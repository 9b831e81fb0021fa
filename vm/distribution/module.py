"""distribution in the module registry. It comes after staking, whose hooks it registers,
and after mint, whose begin-block hook moves each block's coins into the fee collector
before this module's hands them out (begin-block hooks run in the list's order)."""

from __future__ import annotations

from functools import partial

from genesis.schema import DistributionGenesis, DistributionParams
from vm.distribution import allocation, genesis, handlers, invariants, queries
from vm.distribution.hooks import DistributionHooks
from vm.distribution.keeper import DistributionKeeper
from vm.distribution.msgs import (
    MsgCommunityPoolSpend,
    MsgFundCommunityPool,
    MsgSetWithdrawAddress,
    MsgUpdateParams,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
)
from vm.distribution.params import validate_params
from vm.distribution.store import FEE_COLLECTOR, MODULE_ACCOUNT
from vm.module import Module, ModuleAccount, ModuleDef, ModuleGenesis, ModuleParams, Wiring, store_prefix

NAME = "distribution"


def build(wiring: Wiring) -> Module:
    if FEE_COLLECTOR not in wiring.accounts:
        raise LookupError(
            f"distribution shares the {FEE_COLLECTOR!r} module account, which no module declares"
        )
    params = ModuleParams(DistributionParams, validate_params, store_prefix(NAME))
    staking = wiring.keeper("staking")
    keeper = DistributionKeeper(store_prefix(NAME), params, wiring.keeper("bank"), staking)
    staking.set_hooks(DistributionHooks(keeper))
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            DistributionGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgSetWithdrawAddress: partial(handlers.handle_set_withdraw_address, keeper),
            MsgWithdrawDelegatorReward: partial(handlers.handle_withdraw_delegator_reward, keeper),
            MsgWithdrawValidatorCommission: partial(handlers.handle_withdraw_validator_commission, keeper),
            MsgFundCommunityPool: partial(handlers.handle_fund_community_pool, keeper),
            MsgUpdateParams: partial(handlers.handle_update_params, keeper, wiring.authority),
            MsgCommunityPoolSpend: partial(handlers.handle_community_pool_spend, keeper, wiring.authority),
        },
        queries={
            "rewards": partial(queries.query_rewards, keeper),
            "commission": partial(queries.query_commission, keeper),
            "community_pool": partial(queries.query_community_pool, keeper),
            "slashes": partial(queries.query_slashes, keeper),
        },
        services=queries.services(keeper),
        params=params,
        begin_block=partial(allocation.begin_block, keeper),
        invariants={
            "nonnegative-outstanding": partial(invariants.nonnegative_outstanding, keeper),
            "module-account": partial(invariants.module_account, keeper),
            "reference-count": partial(invariants.reference_count, keeper),
        },
    )


MODULE = ModuleDef(NAME, build, accounts=(ModuleAccount(MODULE_ACCOUNT),))
