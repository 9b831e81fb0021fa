"""gov in the module registry. It is built after staking and bank, whose keepers the tally
and the deposits use, and distribution, whose community pool a cancellation may fund. It
runs other modules' messages through the chain's router once a proposal passes; its
account (the chain's authority) is every module's ``MsgUpdateParams`` signer."""

from __future__ import annotations

from functools import partial

from genesis.gov import GovGenesis, GovParams
from vm.gov import blocks, genesis, handlers, invariants, queries, services
from vm.gov.keeper import GovKeeper
from vm.gov.msgs import (
    MsgCancelProposal,
    MsgDeposit,
    MsgDepositV1Beta1,
    MsgSubmitProposal,
    MsgUpdateParams,
    MsgVote,
    MsgVoteV1Beta1,
    MsgVoteWeighted,
    MsgVoteWeightedV1Beta1,
)
from vm.gov.params import validate_params
from vm.gov.store import MODULE_ACCOUNT
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

NAME = "gov"


def build(wiring: Wiring) -> Module:
    params = ModuleParams(GovParams, validate_params, store_prefix(NAME))
    keeper = GovKeeper(
        store_prefix(NAME),
        params,
        wiring.keeper("bank"),
        wiring.keeper("staking"),
        wiring.keeper("distribution"),
        wiring.router,
        wiring.authority,
    )
    deposit = partial(handlers.handle_deposit, keeper)
    vote = partial(handlers.handle_vote, keeper)
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            GovGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgSubmitProposal: partial(handlers.handle_submit_proposal, keeper),
            MsgDeposit: deposit,
            MsgVote: vote,
            MsgVoteWeighted: vote,
            MsgCancelProposal: partial(handlers.handle_cancel_proposal, keeper),
            MsgUpdateParams: partial(handlers.handle_update_params, keeper, wiring.authority),
            MsgDepositV1Beta1: deposit,
            MsgVoteV1Beta1: vote,
            MsgVoteWeightedV1Beta1: vote,
        },
        queries={
            "proposal": partial(queries.query_proposal, keeper),
            "proposals": partial(queries.query_proposals, keeper),
            "vote": partial(queries.query_vote, keeper),
            "votes": partial(queries.query_votes, keeper),
            "deposit": partial(queries.query_deposit, keeper),
            "deposits": partial(queries.query_deposits, keeper),
            "tally": partial(queries.query_tally, keeper),
        },
        services=services.services(keeper),
        params=params,
        end_block=partial(blocks.end_block, keeper),
        invariants={
            "deposits": partial(invariants.deposits, keeper),
            "queued": partial(invariants.queued, keeper),
        },
    )


MODULE = ModuleDef(NAME, build, accounts=(ModuleAccount(MODULE_ACCOUNT, frozenset({Permission.BURNER})),))
