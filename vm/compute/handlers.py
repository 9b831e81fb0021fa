"""compute message handlers, one per message: the checks that need state, then the keeper."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from gpu.errors import GpuError
from gpu.header import GemmLayout, JobHeader, StepLayout, header_digest, layout, result_root, work_units
from gpu.onchain import check_fraud_proof
from gpu.proof_sizes import max_dispute_bytes, max_fraud_proof_bytes
from gpu.proofs import Attestation, FraudProof
from protos.depind.compute.v1 import tx_pb2
from vm.compute import errors
from vm.compute.availability import opened_chunks, output_chunk_count, sample_chunks
from vm.compute.capacity import with_result_time
from vm.compute.events import (
    Attested,
    AvailabilityChallenged,
    ChunksPosted,
    JobSubmitted,
    ResultSubmitted,
)
from vm.compute.expected import LeaseI, is_lease_active
from vm.compute.keeper import ComputeKeeper
from vm.compute.msgs import (
    MsgAttest,
    MsgChallengeAvailability,
    MsgPostChunks,
    MsgSubmitFraudProof,
    MsgSubmitJob,
    MsgSubmitResult,
    MsgUpdateParams,
    parse_attestation,
    parse_chunk_opening,
    parse_fraud_proof,
    parse_header,
)
from vm.compute.params import Params, format_params
from vm.compute.settlement import (
    enqueue,
    format_chunks,
    move,
    pay,
    settle_invalid,
)
from vm.compute.store import AVAILABILITY_CHALLENGES, DEPOSITS
from vm.compute.types import (
    AttestationRecord,
    AvailabilityChallenge,
    Committee,
    Job,
    JobState,
    PostedChunks,
    Result,
    Verdict,
)
from vm.context import Context
from vm.errors import InvalidCoins, InvalidRequest, Unauthorized
from vm.store.cache import ReadStore
from vm.types import Address, Coin, format_address, parse_address

# -- jobs ----------------------------------------------------------------------------------------


def handle_submit_job(keeper: ComputeKeeper, ctx: Context, msg: MsgSubmitJob) -> tx_pb2.MsgSubmitJobResponse:
    store = ctx.store
    requester = parse_address(msg.requester, "requester")
    header, lease = check_job(keeper, store, msg, requester)
    keeper.bank.send_to_module(store, requester, DEPOSITS, [msg.price])
    job = Job(
        id=keeper.next_job_id(store),
        lease_id=lease.id,
        requester=requester,
        provider=lease.provider,
        header=msg.header,
        spec_digest=header_digest(header),
        work_units=work_units(header),
        price=msg.price.amount,
        submitted_height=ctx.env.height,
        deadline_height=ctx.env.height + msg.deadline_blocks,
        state=JobState.PENDING,
        result=None,
        committee=None,
        fraud=None,
        verdict_height=0,
    )
    keeper.set_job(store, job)
    enqueue(keeper, store, job)
    ctx.emit(
        JobSubmitted(
            job_id=str(job.id),
            lease_id=str(lease.id),
            provider=format_address(Address(job.provider)),
            requester=msg.requester,
            kind=job_kind(header),
            spec_digest=job.spec_digest.hex(),
            work_units=str(job.work_units),
            price=str(job.price),
            deadline_height=str(job.deadline_height),
        )
    )
    return tx_pb2.MsgSubmitJobResponse(job_id=job.id)


def check_job(
    keeper: ComputeKeeper, store: ReadStore, msg: MsgSubmitJob, requester: Address
) -> tuple[JobHeader, LeaseI]:
    """The job's header and lease, once the lease, the header and the terms allow the job."""
    params = keeper.get_params(store)
    header = checked_header(msg.header, params)
    check_provable(header, params)
    lease = active_lease(keeper, store, msg.lease_id)
    if lease.requester != requester:
        raise errors.NotLeaseRequester(
            f"lease {lease.id} belongs to {format_address(Address(lease.requester))}"
        )
    check_kind_served(keeper, store, lease, job_kind(header))
    if keeper.open_jobs_of_lease(store, lease.id) >= params.max_open_jobs_per_lease:
        raise errors.TooManyOpenJobs(
            f"a lease has at most {params.max_open_jobs_per_lease} jobs awaiting verdicts"
        )
    if not 1 <= msg.deadline_blocks <= params.max_deadline_blocks:
        raise errors.InvalidDeadline(f"deadline_blocks must be 1 to {params.max_deadline_blocks}")
    if msg.price.denom != params.denom:
        raise InvalidCoins(f"the price is paid in {params.denom}, not {msg.price.denom}")
    return header, lease


def checked_header(data: bytes, params: Params) -> JobHeader:
    if len(data) > params.max_header_bytes:
        raise errors.InvalidHeader(f"{len(data)} bytes; the most is {params.max_header_bytes}")
    return parse_header(data)


def check_provable(header: JobHeader, params: Params) -> None:
    """Every fraud proof and attestation dispute the job could need fits ``max_proof_bytes``: a
    wrong result or a false attestation that no tx can carry the proof of would stand."""
    sizes = (("a fraud proof", max_fraud_proof_bytes(header)), ("a dispute", max_dispute_bytes(header)))
    for proof, size in sizes:
        if size > params.max_proof_bytes:
            raise errors.JobTooLargeToProve(
                f"{proof} could take {size} bytes, more than max_proof_bytes {params.max_proof_bytes}"
            )


def job_kind(header: JobHeader) -> str:
    """The header's kind tag (gpu/header.py): gemm, batched_gemm or mlp."""
    return str(type(header).__struct_config__.tag)


def active_lease(keeper: ComputeKeeper, store: ReadStore, lease_id: int) -> LeaseI:
    lease = keeper.market.get_lease(store, lease_id)
    if lease is None or not is_lease_active(lease):
        raise errors.LeaseNotActive(f"lease {lease_id}")
    return lease


def check_kind_served(keeper: ComputeKeeper, store: ReadStore, lease: LeaseI, kind: str) -> None:
    offer = keeper.market.get_offer(store, lease.offer_id)
    kinds = [] if offer is None else list(offer.job_kinds)
    if kinds and kind not in kinds:
        raise errors.JobKindNotServed(f"{kind}; the offer serves {', '.join(kinds)}")


def handle_submit_result(keeper: ComputeKeeper, ctx: Context, msg: MsgSubmitResult) -> None:
    store, height = ctx.store, ctx.env.height
    job = keeper.job(store, msg.job_id)
    if job.provider != parse_address(msg.provider, "provider"):
        raise errors.NotJobProvider(f"job {job.id} is for {format_address(Address(job.provider))}")
    require_state(job, JobState.PENDING)
    if height > job.deadline_height:
        raise errors.DeadlinePassed(f"job {job.id}'s result was due by height {job.deadline_height}")
    result = Result(
        output_root=msg.output_root,
        result_root=result_root(job.spec_digest, msg.output_root),
        energy_mj=msg.energy_mj,
        energy_known=msg.energy_known,
        compute_ms=msg.compute_ms,
        height=height,
    )
    # Queued for the next block: its beacon mixes a reveal that did not exist when this
    # result was committed, so no one can know the members' challenge seeds now.
    committed = msgspec.structs.replace(job, state=JobState.COMMITTED, result=result)
    move(keeper, store, job, with_result_time(committed, ctx.env.time_ns))  # a capacity challenge's end
    ctx.emit(
        ResultSubmitted(
            job_id=str(job.id),
            provider=msg.provider,
            requester=format_address(Address(job.requester)),
            result_root=result.result_root.hex(),
            output_root=result.output_root.hex(),
            energy_mj=str(result.energy_mj) if result.energy_known else "",
            compute_ms=str(result.compute_ms),
        )
    )


def require_state(job: Job, *states: JobState) -> None:
    if job.state not in states:
        wanted = " or ".join(state.name.lower() for state in states)
        raise errors.WrongJobState(f"job {job.id} is {JobState(job.state).name.lower()}, not {wanted}")


# -- attestations --------------------------------------------------------------------------------


def handle_attest(keeper: ComputeKeeper, ctx: Context, msg: MsgAttest) -> None:
    """Record a member's verdict; a fraud verdict's proof, once checked, makes the job invalid
    at once, with the member as its prover."""
    store, height = ctx.store, ctx.env.height
    member = parse_address(msg.validator, "validator")
    job = keeper.job(store, msg.job_id)
    attestation = check_attestation(keeper, store, job, member, height, msg)
    verdict = Verdict.VALID if attestation.verdict == "valid" else Verdict.FRAUD
    proof = None
    if verdict == Verdict.FRAUD:
        proof = checked_fraud_proof(keeper, ctx, job, parse_fraud_proof(msg.fraud_proof))
    keeper.set_attestation(
        store, AttestationRecord(job.id, member, verdict, attestation.cr_root, height, False, None)
    )
    ctx.emit(
        Attested(
            job_id=str(job.id),
            member=msg.validator,
            verdict=attestation.verdict,
            cr_root=attestation.cr_root.hex(),
        )
    )
    if proof is not None:
        settle_invalid(keeper, ctx, job, member, proof)


def check_attestation(
    keeper: ComputeKeeper, store: ReadStore, job: Job, member: bytes, height: int, msg: MsgAttest
) -> Attestation:
    """The attestation, once it is a member's first, in time, on the job's result and rounds."""
    require_state(job, JobState.VERIFYING)
    committee, result = verifying(job)
    if committee.member(member) is None:
        raise errors.NotCommitteeMember(f"{msg.validator} is not on job {job.id}'s committee")
    if height > committee.attest_deadline_height:
        raise errors.DeadlinePassed(f"attestations were due by height {committee.attest_deadline_height}")
    if keeper.get_attestation(store, job.id, member) is not None:
        raise errors.AlreadyAttested(f"{msg.validator} on job {job.id}")
    attestation = parse_attestation(msg.attestation)
    if attestation.result_root != result.result_root:
        raise errors.InvalidAttestation("the attestation is for another result root")
    if attestation.rounds != committee.rounds:
        raise errors.InvalidAttestation(
            f"the committee checks {committee.rounds} rounds, not {attestation.rounds}"
        )
    return attestation


def verifying(job: Job) -> tuple[Committee, Result]:
    """A verifying job's committee and result (both exist in that state)."""
    if job.committee is None or job.result is None:
        raise errors.WrongJobState(f"job {job.id} has no committee yet")
    return job.committee, job.result


# -- fraud proofs --------------------------------------------------------------------------------


def handle_submit_fraud_proof(keeper: ComputeKeeper, ctx: Context, msg: MsgSubmitFraudProof) -> None:
    prover = parse_address(msg.prover, "prover")
    job = keeper.job(ctx.store, msg.job_id)
    require_state(job, JobState.COMMITTED, JobState.VERIFYING)
    proof = checked_fraud_proof(keeper, ctx, job, parse_fraud_proof(msg.proof))
    settle_invalid(keeper, ctx, job, prover, proof)


def checked_fraud_proof(keeper: ComputeKeeper, ctx: Context, job: Job, proof: FraudProof) -> FraudProof:
    """``proof``, once it shows the job's result wrong (gpu/onchain.py). Its gas is charged
    first: the check recomputes one entry, O(K) multiply-adds and regenerated inputs."""
    if job.result is None:
        raise errors.WrongJobState(f"job {job.id} has no result")
    params = keeper.get_params(ctx.store)
    header = stored_header(job)
    gas = params.fraud_proof_gas_base + params.fraud_proof_gas_per_entry * inner_size(layout(header))
    ctx.gas.consume(gas, "fraud proof check")
    try:
        check_fraud_proof(header, job.result.result_root, proof)
    except (GpuError, ValueError) as error:
        raise errors.InvalidFraudProof(str(error)) from None
    return proof


def stored_header(job: Job) -> JobHeader:
    """A job's header (checked when the job was submitted)."""
    return parse_header(job.header)


def inner_size(steps: Sequence[StepLayout]) -> int:
    """The longest row times column a fraud proof may recompute: the largest K of the job's GEMMs."""
    return max((step.inner for step in steps if isinstance(step, GemmLayout)), default=1)


def row_length(steps: Sequence[StepLayout], tensor: int) -> int:
    """The length of a row of output ``tensor`` (the widest output's, for one that does not exist)."""
    if 0 <= tensor < len(steps):
        return steps[tensor].shape[1]
    return max(step.shape[1] for step in steps)


# -- data availability ---------------------------------------------------------------------------


def handle_challenge_availability(keeper: ComputeKeeper, ctx: Context, msg: MsgChallengeAvailability) -> None:
    """Sample chunks of a verifying job's output tree from this block's beacon and hold the
    challenger's bond; the verdict waits until the provider posts them or the deadline passes."""
    store, height = ctx.store, ctx.env.height
    challenger = parse_address(msg.challenger, "challenger")
    job = keeper.job(store, msg.job_id)
    require_state(job, JobState.VERIFYING)
    committee, _ = verifying(job)
    if height > committee.window_end_height:
        raise errors.DeadlinePassed(f"challenges closed at height {committee.window_end_height}")
    if challenger != job.requester and committee.member(challenger) is None:
        raise errors.NotChallenger(
            f"{msg.challenger} is neither on job {job.id}'s committee nor its requester"
        )
    if job.availability is not None:
        raise errors.AlreadyChallenged(f"job {job.id} at height {job.availability.opened_height}")
    params = keeper.get_params(store)
    if params.availability_bond:
        keeper.bank.send_to_module(
            store, challenger, DEPOSITS, [Coin(params.denom, params.availability_bond)]
        )
    chunk_count = output_chunk_count(stored_header(job))
    challenge = AvailabilityChallenge(
        challenger=challenger,
        bond=params.availability_bond,
        chunks=sample_chunks(ctx.env.beacon, job.id, params.availability_samples, chunk_count),
        opened_height=height,
        deadline_height=height + params.availability_blocks,
        answered_height=0,
    )
    move(keeper, store, job, msgspec.structs.replace(job, availability=challenge))
    keeper.add_tally(store, AVAILABILITY_CHALLENGES)
    ctx.emit(
        AvailabilityChallenged(
            job_id=str(job.id),
            provider=format_address(Address(job.provider)),
            challenger=msg.challenger,
            chunks=format_chunks(challenge),
            bond=str(challenge.bond),
            deadline_height=str(challenge.deadline_height),
        )
    )


def handle_post_chunks(keeper: ComputeKeeper, ctx: Context, msg: MsgPostChunks) -> None:
    """Answer a job's open challenge: every sampled chunk, opened against the output root (and
    kept for the ``posted_chunks`` query). Gas is charged per byte posted before the check; the
    bond goes to the provider."""
    store, height = ctx.store, ctx.env.height
    job = keeper.job(store, msg.job_id)
    if job.provider != parse_address(msg.provider, "provider"):
        raise errors.NotJobProvider(f"job {job.id} is for {format_address(Address(job.provider))}")
    require_state(job, JobState.VERIFYING)
    _, result = verifying(job)
    challenge = job.open_challenge()
    if challenge is None:
        raise errors.NoOpenChallenge(f"job {job.id}")
    if height > challenge.deadline_height:
        raise errors.DeadlinePassed(f"the chunks were due by height {challenge.deadline_height}")
    params = keeper.get_params(store)
    ctx.gas.consume(params.availability_gas_per_byte * sum(map(len, msg.openings)), "chunk openings")
    openings = [parse_chunk_opening(data) for data in msg.openings]
    chunk_count = output_chunk_count(stored_header(job))
    data = opened_chunks(challenge.chunks, chunk_count, result.output_root, openings)
    answered = msgspec.structs.replace(challenge, answered_height=height)
    move(keeper, store, job, msgspec.structs.replace(job, availability=answered))
    keeper.set_posted_chunks(store, PostedChunks(job.id, height, list(challenge.chunks), data))
    pay(keeper, store, job.provider, challenge.bond, params.denom)
    ctx.emit(
        ChunksPosted(
            job_id=str(job.id),
            provider=msg.provider,
            chunks=format_chunks(challenge),
            data=",".join(chunk.hex() for chunk in data),
            bond=str(challenge.bond),
        )
    )


# -- params --------------------------------------------------------------------------------------


def handle_update_params(
    keeper: ComputeKeeper, authority: Address, ctx: Context, msg: MsgUpdateParams
) -> None:
    """Only the authority changes params; the denom only while no deposit is held in the old one."""
    if msg.authority != format_address(authority):
        raise Unauthorized(f"expected {format_address(authority)} as authority, got {msg.authority}")
    old = keeper.get_params(ctx.store).denom
    held = keeper.bank.get_balance(ctx.store, keeper.bank.module_address(DEPOSITS), old)
    if msg.params.denom != old and held:
        raise InvalidRequest(f"the compute denom cannot change while deposits hold {held}{old}")
    keeper.params.set(ctx.store, format_params(msg.params))
