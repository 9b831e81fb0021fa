"""Proof of useful work's genesis section and params (vm/compute, docs/compute.md): plain
data shapes, as genesis/schema.py's."""

from __future__ import annotations

from typing import Annotated

import msgspec

from genesis.schema import DEFAULT_DENOM, Bps, Doc, Positive, Uint64


class ComputeParams(Doc):
    """The PoUW rules. Deposits, rewards and the dispute reward are in ``denom``; heights and
    windows are blocks; fractions are LegacyDec text; shares are basis points."""

    denom: str = DEFAULT_DENOM
    # Verification.
    committee_size: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    freivalds_rounds: Annotated[int, msgspec.Meta(ge=3, le=16)] = 3  # gpu/challenge.py's bounds
    attest_blocks: Positive = 10  # after sampling, for members to attest
    challenge_window_blocks: Positive = 20  # after sampling, for disputes; >= attest_blocks
    # Jobs.
    max_deadline_blocks: Positive = 1_000
    max_header_bytes: Positive = 4_096
    max_open_jobs_per_lease: Positive = 16
    max_jobs_per_block: Positive = 100  # per queue: assignments, deadlines, liveness, verdicts
    # Gas for the checks run on chain, per entry of the row or column they read.
    fraud_proof_gas_base: Uint64 = 50_000
    fraud_proof_gas_per_entry: Uint64 = 20
    dispute_gas_base: Uint64 = 50_000
    dispute_gas_per_entry: Uint64 = 20
    # Consequences.
    provider_slash_fraction: str = "0.100000000000000000"  # of the collateral, on a wrong result
    requester_share_bps: Bps = 5_000  # of what is slashed; the rest after the prover's is burnt
    prover_share_bps: Bps = 2_500
    false_attestation_slash_fraction: str = "0.050000000000000000"  # and jail
    # Of a member's stake (no jail) for a missed attestation: every validator runs the verifier
    # service (testnet, dev chain and gentx enable it), so a miss is a member that skipped the work.
    liveness_slash_fraction: str = "0.000100000000000000"
    dispute_reward: Uint64 = 100_000  # from the PoUW pool to whoever proves an attestation wrong
    reward_per_gigaunit: Uint64 = 1_000  # from the PoUW pool per 10^9 verified multiply-adds
    valid_reputation_reward: Uint64 = 10
    invalid_reputation_penalty: Uint64 = 1_000
    fault_reputation_penalty: Uint64 = 100
    fault_closes_lease: bool = True  # a missed deadline closes the lease (provider_fault)
    slash_closes_lease: bool = True  # a proven wrong result closes the lease (slashed)
    # Data availability: chunks of the output sampled by a challenge, blocks to post them, the
    # challenger's bond (to the provider when it answers, back when it does not), gas per byte posted.
    availability_samples: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    availability_blocks: Positive = 10
    availability_bond: Uint64 = 1_000_000
    availability_gas_per_byte: Uint64 = 30
    # The largest fraud proof or attestation dispute a job may need (gpu/proof_sizes.py): 64 KiB
    # (block.max_tx_bytes) less 1 KiB for the signed tx around it (signature, fee, the message's
    # other fields: about 330 bytes). A job whose proofs could be larger is refused. 1 KiB to
    # 1 MiB (the proofs' decoding limit): vm/compute's bounds.
    max_proof_bytes: Annotated[int, msgspec.Meta(ge=1 << 10, le=1 << 20)] = 65_536 - 1_024
    # A dispute carrying only a row of C: the disputer's bond (to the member if its answer
    # holds, back with the reward if not) and the blocks the member has to answer. An
    # unanswered dispute slashes and jails as a false attestation, so the window is as long as
    # x/slashing's liveness window: a validator down no longer than the downtime it is allowed
    # (a restart, a replaced disk) still answers when it is back.
    dispute_bond: Uint64 = 1_000_000
    dispute_answer_blocks: Positive = 100
    # Capacity challenges (vm/compute/capacity.py): the chance a block issues one, in basis
    # points; the block time a challenge should take at the claimed rate; its deadline, slack
    # times that time plus a latency (the result's trip to a block); blocks for the result;
    # blocks a measurement counts, and how long before that the next challenge is due; blocks
    # after a failed or unverified one; the largest output side (2,048 keeps every challenge
    # within 2^40 multiply-adds, a verifier's default max_work_units).
    capacity_rate_bps: Bps = 500
    capacity_target_ms: Positive = 5_000
    capacity_slack_bps: Annotated[int, msgspec.Meta(ge=10_000, le=2**63 - 1)] = 15_000
    capacity_latency_ms: Uint64 = 10_000
    capacity_result_blocks: Positive = 50
    capacity_expiry_blocks: Positive = 10_000
    capacity_renew_blocks: Uint64 = 1_000  # below capacity_expiry_blocks
    capacity_retry_blocks: Uint64 = 100
    capacity_max_side: Annotated[int, msgspec.Meta(ge=16, le=1 << 14)] = 2_048


class ComputeResultJSON(Doc):
    output_root: str  # hex, 32 bytes
    result_root: str  # hex: SHA-256("depind/pouw/result/v1" || spec_digest || output_root)
    energy_mj: Uint64 = 0
    energy_known: bool = False
    compute_ms: Uint64 = 0
    height: Uint64 = 0


class CommitteeMemberJSON(Doc):
    operator: str  # the operator's account address (depin1...)
    power: Positive


class CommitteeJSON(Doc):
    beacon: str  # hex, 32 bytes: the beacon value when the committee was sampled
    rounds: Annotated[int, msgspec.Meta(ge=3, le=16)]
    sampled_height: Uint64
    attest_deadline_height: Uint64
    window_end_height: Uint64
    members: list[CommitteeMemberJSON] = msgspec.field(default_factory=list)
    total_power: Uint64 = 0
    attest_closed: bool = False  # missed attestations were settled


class FraudJSON(Doc):
    prover: str
    height: Uint64


class AvailabilityChallengeJSON(Doc):
    challenger: str
    bond: Uint64  # in the params' denom, held until the answer or the job's settlement
    chunks: list[Uint64]  # sampled leaves of the output tree, ascending
    opened_height: Uint64
    deadline_height: Uint64
    answered_height: Uint64 = 0  # 0 while open


class PendingDisputeJSON(Doc):
    """A dispute of a member's valid attestation awaiting the member's answer."""

    member: str
    disputer: str
    bond: Uint64  # in the params' denom, held until the answer or the deadline
    tensor: Uint64  # the disputed entry of the member's C r: output, round, row
    round: Uint64
    row: Uint64
    expected: Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]  # row of C times r
    opened_height: Uint64
    deadline_height: Uint64


class CapacityTermsJSON(Doc):
    """What makes a job a capacity challenge; times are header times in ns since the epoch."""

    claim: Positive  # multiply-adds per second
    issued_time_ns: Uint64
    deadline_time_ns: Uint64
    result_time_ns: Uint64 = 0  # 0 before the result


class JobJSON(Doc):
    id: Positive
    lease_id: Uint64  # 0 for a capacity challenge only
    requester: str
    provider: str
    header: str  # hex of the job header's canonical MessagePack (gpu/header.py)
    price: Uint64  # the deposit, in the params' denom
    submitted_height: Uint64
    deadline_height: Uint64
    state: str = "pending"  # pending, committed, verifying, valid, invalid, provider_fault, unverified
    result: ComputeResultJSON | None = None
    committee: CommitteeJSON | None = None
    fraud: FraudJSON | None = None
    verdict_height: Uint64 = 0
    availability: AvailabilityChallengeJSON | None = None
    disputes: list[PendingDisputeJSON] = msgspec.field(default_factory=list)  # at most one per member
    capacity: CapacityTermsJSON | None = None  # a capacity challenge: no lease, price 0


class DisputeJSON(Doc):
    disputer: str
    height: Uint64


class AttestationJSON(Doc):
    job_id: Positive
    member: str  # the operator's account address
    verdict: str  # valid or fraud
    cr_root: str  # hex, 32 bytes (zeros for a fraud verdict)
    height: Uint64
    punished: bool = False
    dispute: DisputeJSON | None = None


class ProviderStatsJSON(Doc):
    provider: str
    verified_jobs: Uint64 = 0
    verified_work_units: Uint64 = 0
    energy_mj: Uint64 = 0  # of the verified jobs whose energy was known
    energy_jobs: Uint64 = 0  # verified jobs whose energy was known


class PostedChunksJSON(Doc):
    """The chunks a provider posted to answer a job's availability challenge."""

    job_id: Positive
    answered_height: Uint64
    chunks: list[Uint64]  # the challenge's leaves, in its order
    data: list[str]  # each chunk's bytes, hex, in the same order


class CapacityJSON(Doc):
    """A provider's capacity claim and where its challenges stand (the measurement itself is
    the provider's ``measured_capacity``)."""

    provider: str
    claim: Uint64 = 0  # multiply-adds per second; 0: none
    due_height: Uint64 = 0
    open_job: Uint64 = 0  # the capacity challenge awaiting its verdict
    measured_height: Uint64 = 0
    expires_height: Uint64 = 0  # the last height the measurement counts; 0: none
    passed: Uint64 = 0
    failed: Uint64 = 0


class DisputeTotalsJSON(Doc):
    """Attestation disputes by outcome: row disputes opened, disputes upheld (of either form),
    row disputes refuted by the member's answer, row disputes closed unanswered (bond back)."""

    opened: Uint64 = 0
    upheld: Uint64 = 0
    refuted: Uint64 = 0
    closed: Uint64 = 0


class ProviderSlashesJSON(Doc):
    """Providers' collateral slashed for a wrong result, by reason: a fraud proof held, or an
    availability challenge went unanswered. A committee member's stake slashed for its
    attestation is a validator slash, counted by the slashing section's ``slashes``."""

    fraud_proof: Uint64 = 0
    unavailable: Uint64 = 0


class ComputeTotalsJSON(Doc):
    """Chain-wide totals of what no record keeps (the jobs by state and the verified work
    units are counted again from the jobs)."""

    fraud_proofs: Uint64 = 0
    disputes: DisputeTotalsJSON = msgspec.field(default_factory=DisputeTotalsJSON)
    availability_challenges: Uint64 = 0
    provider_slashes: ProviderSlashesJSON = msgspec.field(default_factory=ProviderSlashesJSON)


class ComputeGenesis(Doc):
    params: ComputeParams = msgspec.field(default_factory=ComputeParams)
    jobs: list[JobJSON] = msgspec.field(default_factory=list)
    attestations: list[AttestationJSON] = msgspec.field(default_factory=list)
    provider_stats: list[ProviderStatsJSON] = msgspec.field(default_factory=list)
    last_job_id: Uint64 = 0
    posted_chunks: list[PostedChunksJSON] = msgspec.field(default_factory=list)
    capacities: list[CapacityJSON] = msgspec.field(default_factory=list)
    totals: ComputeTotalsJSON = msgspec.field(default_factory=ComputeTotalsJSON)
