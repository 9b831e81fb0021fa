"""compute in the module registry. It comes after market, whose leases its jobs run on and
whose keeper closes a lease whose work failed; after provider (collateral, reputation, and
the exit hook it registers), staking (the validators committees are drawn from), slashing
(which punishes members) and mint (whose PoUW pool pays verified work)."""

from __future__ import annotations

from functools import partial

from genesis.compute import ComputeGenesis, ComputeParams
from vm.compute import blocks, capacity, disputes, genesis, handlers, invariants, queries, services
from vm.compute.hooks import ComputeProviderHooks
from vm.compute.keeper import ComputeKeeper
from vm.compute.msgs import (
    MsgAnswerDispute,
    MsgAttest,
    MsgChallengeAvailability,
    MsgClaimCapacity,
    MsgDisputeAttestation,
    MsgPostChunks,
    MsgSubmitFraudProof,
    MsgSubmitJob,
    MsgSubmitResult,
    MsgUpdateParams,
)
from vm.compute.params import validate_params
from vm.compute.store import DEPOSITS, REWARD_POOL
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

NAME = "compute"


def build(wiring: Wiring) -> Module:
    if REWARD_POOL not in wiring.accounts:
        raise LookupError(
            f"compute pays verified work from the {REWARD_POOL!r} account, which no module declares"
        )
    params = ModuleParams(ComputeParams, validate_params, store_prefix(NAME))
    providers = wiring.keeper("provider")
    keeper = ComputeKeeper(
        store_prefix(NAME),
        params,
        wiring.keeper("bank"),
        wiring.keeper("market"),
        providers,
        wiring.keeper("staking"),
        wiring.keeper("slashing"),
    )
    providers.set_hooks(ComputeProviderHooks(keeper))
    return Module(
        name=NAME,
        keeper=keeper,
        genesis=ModuleGenesis(
            ComputeGenesis,
            genesis.validate_genesis,
            partial(genesis.init_genesis, keeper),
            partial(genesis.export_genesis, keeper),
        ),
        messages={
            MsgSubmitJob: partial(handlers.handle_submit_job, keeper),
            MsgSubmitResult: partial(handlers.handle_submit_result, keeper),
            MsgAttest: partial(handlers.handle_attest, keeper),
            MsgSubmitFraudProof: partial(handlers.handle_submit_fraud_proof, keeper),
            MsgDisputeAttestation: partial(disputes.handle_dispute_attestation, keeper),
            MsgAnswerDispute: partial(disputes.handle_answer_dispute, keeper),
            MsgChallengeAvailability: partial(handlers.handle_challenge_availability, keeper),
            MsgPostChunks: partial(handlers.handle_post_chunks, keeper),
            MsgUpdateParams: partial(handlers.handle_update_params, keeper, wiring.authority),
            MsgClaimCapacity: partial(capacity.handle_claim_capacity, keeper),
        },
        queries={
            "job": partial(queries.query_job, keeper),
            "jobs": partial(queries.query_jobs, keeper),
            "attestations": partial(queries.query_attestations, keeper),
            "verdict": partial(queries.query_verdict, keeper),
            "provider_stats": partial(queries.query_provider_stats, keeper),
            "posted_chunks": partial(queries.query_posted_chunks, keeper),
            "capacity": partial(capacity.query_capacity, keeper),
            "summary": partial(queries.query_summary, keeper),
        },
        services=services.services(keeper),
        params=params,
        begin_block=partial(blocks.begin_block, keeper),
        end_block=partial(blocks.end_block, keeper),
        invariants={
            "deposits-backed": partial(invariants.deposits_backed, keeper),
            "jobs-queued": partial(invariants.jobs_queued, keeper),
            "open-jobs-counted": partial(invariants.open_jobs_counted, keeper),
            "capacity-queued": partial(capacity.capacity_queued, keeper),
            "jobs-tallied": partial(invariants.jobs_tallied, keeper),
        },
    )


# The deposits account burns what a slashed provider's collateral leaves after the shares.
MODULE = ModuleDef(NAME, build, accounts=(ModuleAccount(DEPOSITS, frozenset({Permission.BURNER})),))
