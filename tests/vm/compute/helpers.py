"""Compute test helpers: ``ComputeChain`` drives every module through the registry block by
block (begin block, messages, end block) with a beacon per height, on a genesis with four
validators, a provider (Alice, also a validator) and a requester (Bob) whose lease on one of
Alice's GPUs is active; and the gpu/ side: jobs run on the NumPy backend, honest or
corrupted results, attestations with C r commitments, fraud proofs and disputes.

Messages run as a tx's messages do (stateless checks, then the handler in a cache kept only
on success) but without signatures or fees, so balances move only by what the modules do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
from numpy.typing import NDArray

from genesis.compute import ComputeGenesis, ComputeParams
from genesis.market import MarketGenesis
from genesis.schema import SlashingGenesis, SlashingParams, StakingGenesis, StakingParams
from gpu.attestation import CrCommitment, commit_cr
from gpu.backend import NumpyBackend
from gpu.challenge import derive_challenge_seed
from gpu.commit import commit_outputs
from gpu.fraud import build_fraud_proof
from gpu.header import GemmLayout, layout, result_root
from gpu.jobs import GemmSpec, JobSpec, job_header, spec_digest
from gpu.merkle import ChunkedCommitment
from gpu.proofs import (
    Attestation,
    AttestationDispute,
    RowDispute,
    encode_attestation,
    encode_cr_opening,
    encode_dispute,
    encode_fraud_proof,
    encode_row_dispute,
)
from gpu.run import run_job
from gpu.verify import challenge_vectors
from node.keys.hd import PrivateKey
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DENOM,
    FUNDS,
    ModuleChain,
    key,
    make_genesis,
    raw,
    register_msg,
    with_app_state,
)
from tests.vm.market.helpers import H100, PROVIDER_PARAMS, gpu_spec, offer_msg, order_msg
from tests.vm.market.helpers import PARAMS as MARKET_PARAMS
from tests.vm.staking.helpers import create_validator
from vm.compute.keeper import ComputeKeeper
from vm.compute.msgs import (
    MsgAnswerDispute,
    MsgAttest,
    MsgDisputeAttestation,
    MsgSubmitFraudProof,
    MsgSubmitJob,
    MsgSubmitResult,
    MsgUpdateParams,
)
from vm.compute.params import parse_params
from vm.compute.store import DEPOSITS, REWARD_POOL
from vm.compute.types import Job
from vm.context import BlockEnv, Event
from vm.market.msgs import MsgAcceptLease
from vm.modules import AUTHORITY
from vm.msg import Msg
from vm.registry import Registry
from vm.staking.keeper import StakingKeeper
from vm.staking.types import Validator
from vm.types import Address, Coin, format_address, module_address

PROVIDER, REQUESTER, WATCHER = ALICE, BOB, CAROL
VALIDATORS = (key(11), key(12), key(13), key(14))
STAKES = (400, 300, 200, 100)  # tokens = power (a power reduction of 1)
PROVIDER_STAKE = 500  # Alice runs a validator too: never on her own jobs' committees
COLLATERAL = 10_000_000
POOL_FUNDS = 10**9
PRICE = 1_000_000
JAIL_NS = 60 * 10**9
LEASE = 1
BLOCK_NS = 5 * 10**9

PARAMS = ComputeParams(
    committee_size=3,
    attest_blocks=3,
    challenge_window_blocks=5,
    max_deadline_blocks=50,
    max_open_jobs_per_lease=64,
    liveness_slash_fraction="0.010000000000000000",
    provider_slash_fraction="0.500000000000000000",
    requester_share_bps=5_000,
    prover_share_bps=2_000,
    false_attestation_slash_fraction="0.100000000000000000",
    dispute_reward=50_000,
    reward_per_gigaunit=10**9,  # one udepin per multiply-add: rewards easy to read
)
STAKING = StakingParams(unbonding_blocks=10, max_validators=10, power_reduction=1)
SLASHING = SlashingParams(downtime_jail_duration_ns=JAIL_NS)

GEMM = GemmSpec(m=32, k=24, n=32, bound=8, seed=5)


def compute_genesis(params: ComputeParams = PARAMS, pool: int = POOL_FUNDS) -> Any:
    funded: dict[Any, int] = {k: FUNDS for k in (PROVIDER, REQUESTER, WATCHER, *VALIDATORS)}
    if pool:
        funded[format_address(module_address(REWARD_POOL))] = pool
    doc = make_genesis(funded, provider_params=PROVIDER_PARAMS)
    return with_app_state(
        doc,
        staking=StakingGenesis(params=STAKING),
        slashing=SlashingGenesis(params=SLASHING),
        market=MarketGenesis(params=MARKET_PARAMS),
        compute=ComputeGenesis(params=params),
    )


def beacon_at(height: int) -> bytes:
    return hashlib.sha256(b"beacon %d" % height).digest()


class ComputeChain(ModuleChain):
    """Blocks of work on a cache over a genesis, set up so that lease 1 (Bob's, on one of
    Alice's H100s, serving ``kinds``) is active and the validators are bonded."""

    def __init__(
        self,
        doc: Any = None,
        registry: Registry | None = None,
        kinds: Sequence[str] = ("gemm", "batched_gemm", "mlp"),
    ) -> None:
        super().__init__(doc if doc is not None else compute_genesis(), registry)
        stakes = zip(VALIDATORS, STAKES, strict=True)
        self.block(
            *(create_validator(v, stake, key=20 + i) for i, (v, stake) in enumerate(stakes)),
            create_validator(PROVIDER, PROVIDER_STAKE, key=30),
            register_msg(PROVIDER, [gpu_spec(H100, 8)], collateral=COLLATERAL),
        )
        self.block(offer_msg(PROVIDER, 4, kinds=kinds))
        self.block(order_msg(REQUESTER, 1, 24 * 3600))  # matched at the end of this block
        self.block(MsgAcceptLease(PROVIDER.address, LEASE))

    def env(self) -> BlockEnv:
        return BlockEnv("depin-test-1", self.height, self.time_ns, b"", beacon_at(self.height))

    # -- driving blocks ----------------------------------------------------------------------

    @property
    def keeper(self) -> ComputeKeeper:
        keeper: ComputeKeeper = self.registry.keeper("compute")
        return keeper

    @property
    def staking(self) -> StakingKeeper:
        keeper: StakingKeeper = self.registry.keeper("staking")
        return keeper

    def begin(self) -> list[Event]:
        ctx = self.ctx()
        self.registry.begin_block(ctx)
        self.events.extend(ctx.events)
        return ctx.events

    def end(self) -> list[Event]:
        ctx = self.ctx()
        self.registry.end_block(ctx)
        self.events.extend(ctx.events)
        self.height += 1
        self.time_ns += BLOCK_NS
        return ctx.events

    def block(self, *msgs: Msg) -> list[Event]:
        """A whole block with ``msgs`` (each must succeed); returns its events."""
        events = self.begin()
        for msg in msgs:
            events += self.run(msg)
        return events + self.end()

    def blocks(self, count: int) -> None:
        for _ in range(count):
            self.block()

    def until(self, height: int) -> None:
        """Run empty blocks until the next block is at ``height``."""
        while self.height < height:
            self.block()

    # -- reads -----------------------------------------------------------------------------

    def job(self, job_id: int) -> Job:
        return self.keeper.job(self.store, job_id)

    def balance(self, holder: PrivateKey | bytes, denom: str = DENOM) -> int:
        address = Address(holder) if isinstance(holder, bytes) else raw(holder)
        return self.bank.get_balance(self.store, address, denom)

    def deposits(self) -> int:
        return self.balance(module_address(DEPOSITS))

    def pool(self) -> int:
        return self.balance(module_address(REWARD_POOL))

    def validator(self, operator: PrivateKey) -> Validator:
        return self.staking.validator(self.store, raw(operator))

    def collateral(self) -> int:
        provider = self.registry.keeper("provider").get_provider(self.store, raw(PROVIDER))
        return int(provider.collateral.amount)

    def reputation(self) -> int:
        provider = self.registry.keeper("provider").get_provider(self.store, raw(PROVIDER))
        return int(provider.reputation)

    def lease_reason(self) -> int | None:
        lease = self.registry.keeper("market").lease(self.store, LEASE)
        return None if lease.closed is None else int(lease.closed.reason)

    def members(self, job_id: int) -> list[PrivateKey]:
        """The keys of a job's committee members, in draw order."""
        committee = self.job(job_id).committee
        assert committee is not None
        by_address = {raw(k): k for k in (*VALIDATORS, PROVIDER)}
        return [by_address[Address(m.operator)] for m in committee.members]

    def params_msg(self, **fields: Any) -> MsgUpdateParams:
        """The authority's change of these params (as governance would send it)."""
        params = msgspec.structs.replace(self.keeper.params.get(self.store), **fields)
        return MsgUpdateParams(format_address(AUTHORITY), parse_params(params))

    def broken(self) -> list[str]:
        return self.registry.broken_invariants(self.store)

    def event_list(self, type_: str) -> list[dict[str, str]]:
        return [{a.key: a.value for a in e.attributes} for e in self.events if e.type == type_]

    # -- a job's life ------------------------------------------------------------------------

    def submit(self, spec: JobSpec = GEMM, price: int = PRICE, deadline: int = 10) -> int:
        """Bob submits ``spec`` on lease 1; returns the job id."""
        self.block(submit_msg(spec, price, deadline))
        return self.keeper.last_job_id(self.store)

    def commit(self, job_id: int, work: Work) -> None:
        """Alice submits ``work``'s result; its committee is sampled in the next block."""
        self.block(result_msg(job_id, work))
        self.block()

    def attest(
        self, job_id: int, work: Work, member: PrivateKey, cr: CrCommitment | None = None
    ) -> MsgAttest:
        """A member's valid attestation, with its own C r (or ``cr``)."""
        committee = self.job(job_id).committee
        assert committee is not None
        chosen = cr if cr is not None else member_cr(work, raw(member), committee.beacon)
        attestation = Attestation("valid", committee.rounds, work.result_root, chosen.root)
        return MsgAttest(member.address, job_id, encode_attestation(attestation), b"")


def submit_msg(
    spec: JobSpec = GEMM, price: int = PRICE, deadline: int = 10, lease: int = LEASE
) -> MsgSubmitJob:
    return MsgSubmitJob(REQUESTER.address, lease, header_bytes(spec), deadline, Coin(DENOM, price))


def header_bytes(spec: JobSpec) -> bytes:
    return msgspec.msgpack.encode(job_header(spec))


def result_msg(job_id: int, work: Work, energy_mj: int = 1_500) -> MsgSubmitResult:
    return MsgSubmitResult(PROVIDER.address, job_id, work.output_root, energy_mj, energy_mj > 0, 42)


# -- the gpu/ side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """Outputs as a provider committed to them, honest or not."""

    spec: JobSpec
    outputs: tuple[NDArray[np.int32], ...]
    commitment: ChunkedCommitment

    @property
    def output_root(self) -> bytes:
        return self.commitment.root

    @property
    def result_root(self) -> bytes:
        return result_root(spec_digest(self.spec), self.commitment.root)


def honest(spec: JobSpec = GEMM) -> Work:
    outputs = run_job(spec, NumpyBackend()).outputs
    return Work(spec, outputs, commit_outputs(outputs))


def corrupted(work: Work, tensor: int, row: int, col: int, delta: int = 1) -> Work:
    outputs = [np.array(out, dtype=np.int32) for out in work.outputs]
    outputs[tensor][row, col] += delta
    return Work(work.spec, tuple(outputs), commit_outputs(outputs))


def fraud_proof(work: Work, tensor: int, row: int, col: int) -> bytes:
    return encode_fraud_proof(build_fraud_proof(work.spec, work.commitment, tensor, row, col))


def fraud_msg(
    job_id: int, work: Work, tensor: int, row: int, col: int, prover: PrivateKey = WATCHER
) -> MsgSubmitFraudProof:
    return MsgSubmitFraudProof(prover.address, job_id, fraud_proof(work, tensor, row, col))


def member_cr(
    work: Work, member: bytes, beacon: bytes, rounds: int = 3, wrong_at: tuple[int, int, int] | None = None
) -> CrCommitment:
    """C r as a member commits it: exact for its own vectors, except at ``wrong_at``
    (tensor, round, row), where it is one more."""
    steps = layout(job_header(work.spec))
    seed = derive_challenge_seed(work.result_root, member, beacon)
    vectors: dict[int, list[list[int]]] = {}
    for tensor, step in enumerate(steps):
        if isinstance(step, GemmLayout):
            c_r = work.outputs[tensor].astype(np.int64) @ challenge_vectors(
                seed, tensor, step.shape[1], rounds
            )
            vectors[tensor] = c_r.T.tolist()
    if wrong_at is not None:
        tensor, round_index, row = wrong_at
        vectors[tensor][round_index][row] += 1
    return commit_cr(steps, vectors)


def dispute_msg(
    job_id: int, work: Work, member: PrivateKey, cr: CrCommitment, tensor: int, round_index: int, row: int
) -> MsgDisputeAttestation:
    cols = work.outputs[tensor].shape[1]
    dispute = AttestationDispute(
        cr.open_entry(tensor, round_index, row),
        work.commitment.root,
        work.commitment.open_entries(tensor, row * cols, cols),
    )
    return MsgDisputeAttestation(WATCHER.address, job_id, member.address, encode_dispute(dispute))


def row_dispute_msg(
    job_id: int,
    work: Work,
    member: PrivateKey,
    tensor: int,
    round_index: int,
    row: int,
    disputer: PrivateKey = WATCHER,
) -> MsgDisputeAttestation:
    """A dispute of the member's entry (round, row) of output ``tensor`` carrying only the row of C:
    the member must answer it."""
    cols = work.outputs[tensor].shape[1]
    opening = work.commitment.open_entries(tensor, row * cols, cols)
    dispute = RowDispute(tensor, round_index, row, work.commitment.root, opening)
    return MsgDisputeAttestation(disputer.address, job_id, member.address, encode_row_dispute(dispute))


def answer_msg(
    job_id: int, member: PrivateKey, cr: CrCommitment, tensor: int, round_index: int, row: int
) -> MsgAnswerDispute:
    """The member's answer: entry (round, row) of output ``tensor`` opened in its C r tree."""
    entry = cr.open_entry(tensor, round_index, row)
    return MsgAnswerDispute(member.address, job_id, encode_cr_opening(entry))
