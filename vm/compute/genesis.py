"""compute genesis: validate, init, export (export then init round-trips).

The section holds the params, the jobs (with their results, committees, fraud records,
availability challenges and disputes awaiting answers), the attestations, the providers'
totals, the chunks posted to answer challenges, the capacity records, the job counter and
the chain-wide totals no record keeps (fraud proofs, disputes by outcome, availability
challenges, providers' collateral slashes by reason: members' attestation slashes are the
slashing module's); the indexes, the open-job counts, the six job queues and the tallies of
jobs by state and of verified work units are derived from the jobs at init, and the two
capacity queues from the capacity records, exactly as the handlers keep them.
A job's spec digest and work units are derived from its header.
Deposits of unsettled jobs and bonds of open challenges and pending disputes must be in the
compute account's genesis balance (the ``deposits-backed`` invariant, checked once genesis
is written).
"""

from __future__ import annotations

from collections.abc import Mapping

from genesis.compute import (
    AttestationJSON,
    AvailabilityChallengeJSON,
    CommitteeJSON,
    CommitteeMemberJSON,
    ComputeGenesis,
    ComputeResultJSON,
    ComputeTotalsJSON,
    DisputeJSON,
    DisputeTotalsJSON,
    FraudJSON,
    JobJSON,
    PendingDisputeJSON,
    PostedChunksJSON,
    ProviderSlashesJSON,
    ProviderStatsJSON,
)
from gpu.attestation import gemm_tensors
from gpu.header import header_digest, layout, result_root, work_units
from gpu.merkle import CHUNK_BYTES
from vm.compute.availability import output_chunk_count
from vm.compute.capacity import (
    export_capacities,
    from_capacity_json,
    from_terms_json,
    init_capacities,
    to_terms_json,
    validate_capacities,
    validate_job_terms,
)
from vm.compute.keeper import ComputeKeeper
from vm.compute.msgs import DIGEST_BYTES, parse_header
from vm.compute.params import MAX_AVAILABILITY_SAMPLES, format_params, parse_params, validate_params
from vm.compute.settlement import PROVIDER_SLASH_REASONS, enqueue
from vm.compute.store import (
    AVAILABILITY_CHALLENGES,
    DISPUTE_OUTCOMES,
    FRAUD_PROOFS,
    ComputeStore,
    dispute_tally,
    slash_tally,
)
from vm.compute.types import (
    AttestationRecord,
    AvailabilityChallenge,
    Committee,
    Dispute,
    Fraud,
    Job,
    JobState,
    Member,
    PendingDispute,
    PostedChunks,
    ProviderStats,
    Result,
    Verdict,
)
from vm.context import Context
from vm.errors import InvalidRequest
from vm.store.cache import ReadStore, Store
from vm.types import Address, format_address, parse_address

JOB_STATES = {state.name.lower(): state for state in JobState}
VERDICTS = {"valid": Verdict.VALID, "fraud": Verdict.FRAUD}


# -- validate ------------------------------------------------------------------------------------


def validate_genesis(state: ComputeGenesis) -> None:
    validate_params(state.params)
    jobs = {entry.id: from_job_json(entry) for entry in state.jobs}
    if len(jobs) != len(state.jobs):
        raise InvalidRequest("duplicate job id")
    if jobs and max(jobs) > state.last_job_id:
        raise InvalidRequest(f"job id {max(jobs)} is above last_job_id {state.last_job_id}")
    for job in jobs.values():
        validate_job(job)
    records: dict[tuple[int, bytes], AttestationRecord] = {}
    for entry in state.attestations:
        record = from_attestation_json(entry)
        if (record.job_id, record.member) in records:
            raise InvalidRequest(f"duplicate attestation of job {record.job_id} by {entry.member}")
        records[(record.job_id, record.member)] = record
        validate_attestation(record, jobs.get(record.job_id))
    for job in jobs.values():
        for pending in job.disputes:
            validate_dispute_target(job, records.get((job.id, pending.member)))
    providers = [from_stats_json(entry).provider for entry in state.provider_stats]
    if len(set(providers)) != len(providers):
        raise InvalidRequest("duplicate provider stats")
    posted = [from_posted_json(chunks) for chunks in state.posted_chunks]
    if len({chunks.job_id for chunks in posted}) != len(posted):
        raise InvalidRequest("duplicate posted chunks")
    for chunks in posted:
        validate_posted_chunks(chunks, jobs.get(chunks.job_id))
    validate_capacities([from_capacity_json(entry) for entry in state.capacities], jobs)


def validate_job(job: Job) -> None:
    """The fields its state needs, and only those, each well formed."""
    state = JobState(job.state)
    has_result = state not in (JobState.PENDING, JobState.PROVIDER_FAULT)
    has_committee = state in (JobState.VERIFYING, JobState.VALID, JobState.UNVERIFIED)
    if (job.result is not None) != has_result or (job.fraud is not None) != (state == JobState.INVALID):
        raise InvalidRequest(f"job {job.id}: a {state.name.lower()} job has the wrong result or fraud record")
    if job.committee is None and has_committee:
        raise InvalidRequest(f"job {job.id}: a {state.name.lower()} job lacks its committee")
    if job.committee is not None and state in (JobState.PENDING, JobState.COMMITTED, JobState.PROVIDER_FAULT):
        raise InvalidRequest(f"job {job.id}: a {state.name.lower()} job cannot have a committee yet")
    if state.is_terminal != (job.verdict_height > 0):
        raise InvalidRequest(f"job {job.id}: only a settled job has a verdict height")
    validate_job_terms(job)
    if job.result is not None and job.result.result_root != result_root(
        job.spec_digest, job.result.output_root
    ):
        raise InvalidRequest(f"job {job.id}: its result root does not bind its output root to its header")
    if job.committee is not None:
        validate_committee(job.id, job.committee)
    if job.availability is not None:
        validate_challenge(job, job.availability)
    validate_disputes(job)


def validate_challenge(job: Job, challenge: AvailabilityChallenge) -> None:
    """Only a job that was verifying is challenged; its chunks are distinct leaves of its
    output tree, ascending; an answer comes between the challenge and its deadline."""
    if job.committee is None:
        raise InvalidRequest(f"job {job.id}: an availability challenge needs a committee")
    chunks = list(challenge.chunks)
    count = output_chunk_count(parse_header(job.header))
    if (
        not chunks
        or len(chunks) > MAX_AVAILABILITY_SAMPLES
        or chunks != sorted(set(chunks))
        or chunks[-1] >= count
    ):
        raise InvalidRequest(f"job {job.id}: challenged chunks must be distinct leaves, ascending")
    if not challenge.opened_height < challenge.deadline_height:
        raise InvalidRequest(f"job {job.id}: a challenge's deadline comes after it")
    if challenge.answered_height and not (
        challenge.opened_height <= challenge.answered_height <= challenge.deadline_height
    ):
        raise InvalidRequest(f"job {job.id}: a challenge is answered by its deadline")


def validate_disputes(job: Job) -> None:
    """Only a verifying job waits for answers, at most one per member, each for an entry of
    the member's C r (a GEMM output's), due after it was opened."""
    if not job.disputes:
        return
    if job.state != JobState.VERIFYING or job.committee is None:
        raise InvalidRequest(f"job {job.id}: only a verifying job has disputes awaiting answers")
    members = [pending.member for pending in job.disputes]
    if members != sorted(set(members)):
        raise InvalidRequest(f"job {job.id}: disputes awaiting answers are one per member, in member order")
    steps = layout(parse_header(job.header))
    for pending in job.disputes:
        if (
            pending.tensor not in gemm_tensors(steps)
            or pending.round >= job.committee.rounds
            or pending.row >= steps[pending.tensor].shape[0]
        ):
            raise InvalidRequest(f"job {job.id}: a dispute names no entry of C r")
        if not pending.opened_height < pending.deadline_height:
            raise InvalidRequest(f"job {job.id}: a dispute's deadline comes after it")


def validate_dispute_target(job: Job, record: AttestationRecord | None) -> None:
    """A dispute awaits the answer to a member's valid attestation that was not punished."""
    if record is None or record.verdict != Verdict.VALID or record.punished:
        raise InvalidRequest(f"job {job.id}: a dispute awaits the answer of no unpunished valid attestation")


def validate_posted_chunks(posted: PostedChunks, job: Job | None) -> None:
    """Chunks posted for a job's answered challenge: its chunks, each of 1 byte to 1 KiB."""
    challenge = None if job is None else job.availability
    if challenge is None or not challenge.answered_height:
        raise InvalidRequest(f"posted chunks of job {posted.job_id}: no answered availability challenge")
    if list(posted.chunks) != list(challenge.chunks) or len(posted.data) != len(posted.chunks):
        raise InvalidRequest(f"posted chunks of job {posted.job_id}: not its challenge's chunks")
    if posted.answered_height != challenge.answered_height or any(
        not 1 <= len(data) <= CHUNK_BYTES for data in posted.data
    ):
        raise InvalidRequest(f"posted chunks of job {posted.job_id}: wrong height or chunk size")


def validate_committee(job_id: int, committee: Committee) -> None:
    operators = [member.operator for member in committee.members]
    if len(set(operators)) != len(operators) or any(member.power == 0 for member in committee.members):
        raise InvalidRequest(f"job {job_id}: committee members repeat or have no power")
    if committee.total_power != sum(member.power for member in committee.members):
        raise InvalidRequest(f"job {job_id}: committee total_power is not its members' sum")
    if len(committee.beacon) != DIGEST_BYTES:
        raise InvalidRequest(f"job {job_id}: a beacon value is {DIGEST_BYTES} bytes")
    heights = (committee.sampled_height, committee.attest_deadline_height, committee.window_end_height)
    if sorted(heights) != list(heights):
        raise InvalidRequest(f"job {job_id}: committee heights are out of order")


def validate_attestation(record: AttestationRecord, job: Job | None) -> None:
    if job is None or job.committee is None or job.committee.member(record.member) is None:
        raise InvalidRequest(f"attestation of job {record.job_id}: no such job or committee member")
    if record.dispute is not None and not (record.punished and record.verdict == Verdict.VALID):
        raise InvalidRequest(f"attestation of job {record.job_id}: only a punished valid one is disputed")


# -- init and export -----------------------------------------------------------------------------


def init_genesis(keeper: ComputeKeeper, ctx: Context, state: ComputeGenesis) -> None:
    """Write the records and derive every index and queue from them. Runs after the market's
    genesis: every job but a capacity challenge is on a lease it holds."""
    store = ctx.store
    keeper.params.set(store, format_params(parse_params(state.params)))
    keeper.set_last_job_id(store, state.last_job_id)
    for entry in state.jobs:
        job = from_job_json(entry)
        if job.capacity is None and keeper.market.get_lease(store, job.lease_id) is None:
            raise InvalidRequest(f"job {job.id}: lease {job.lease_id} does not exist")
        keeper.set_job(store, job)
        enqueue(keeper, store, job)
    for attestation in state.attestations:
        keeper.set_attestation(store, from_attestation_json(attestation))
    for stats in state.provider_stats:
        keeper.set_stats(store, from_stats_json(stats))
    for posted in state.posted_chunks:
        keeper.set_posted_chunks(store, from_posted_json(posted))
    init_capacities(keeper, store, state.capacities)
    init_totals(keeper, store, state.totals)


def init_totals(keeper: ComputeStore, store: Store, totals: ComputeTotalsJSON) -> None:
    keeper.set_tally(store, FRAUD_PROOFS, totals.fraud_proofs)
    keeper.set_tally(store, AVAILABILITY_CHALLENGES, totals.availability_challenges)
    for outcome in DISPUTE_OUTCOMES:
        keeper.set_tally(store, dispute_tally(outcome), getattr(totals.disputes, outcome))
    for reason in PROVIDER_SLASH_REASONS:
        keeper.set_tally(store, slash_tally(reason), getattr(totals.provider_slashes, reason))


def export_totals(keeper: ComputeStore, store: ReadStore) -> ComputeTotalsJSON:
    disputes = {outcome: keeper.get_tally(store, dispute_tally(outcome)) for outcome in DISPUTE_OUTCOMES}
    slashes = {reason: keeper.get_tally(store, slash_tally(reason)) for reason in PROVIDER_SLASH_REASONS}
    return ComputeTotalsJSON(
        fraud_proofs=keeper.get_tally(store, FRAUD_PROOFS),
        disputes=DisputeTotalsJSON(**disputes),
        availability_challenges=keeper.get_tally(store, AVAILABILITY_CHALLENGES),
        provider_slashes=ProviderSlashesJSON(**slashes),
    )


def export_genesis(keeper: ComputeKeeper, store: ReadStore) -> ComputeGenesis:
    return ComputeGenesis(
        params=keeper.params.get(store),
        jobs=[to_job_json(job) for job in keeper.iterate_jobs(store)],
        attestations=[to_attestation_json(record) for record in keeper.iterate_attestations(store)],
        provider_stats=[to_stats_json(stats) for stats in keeper.iterate_stats(store)],
        last_job_id=keeper.last_job_id(store),
        posted_chunks=[to_posted_json(posted) for posted in keeper.iterate_posted_chunks(store)],
        capacities=export_capacities(keeper, store),
        totals=export_totals(keeper, store),
    )


# -- JSON <-> records ----------------------------------------------------------------------------


def _named(table: Mapping[str, int], name: str, what: str) -> int:
    if name not in table:
        raise InvalidRequest(f"{what} must be one of {sorted(table)}")
    return table[name]


def _name(table: Mapping[str, int], value: int) -> str:
    return next(name for name, known in table.items() if known == value)


def _digest(text: str, what: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise InvalidRequest(f"{what} must be hex") from None
    if len(value) != DIGEST_BYTES:
        raise InvalidRequest(f"{what} must be {DIGEST_BYTES} bytes")
    return value


def _hex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidRequest(f"{what} must be hex") from None


def _address(value: bytes) -> str:
    return format_address(Address(value))


def from_job_json(entry: JobJSON) -> Job:
    header_bytes = _hex(entry.header, f"job {entry.id} header")
    header = parse_header(header_bytes)
    return Job(
        id=entry.id,
        lease_id=entry.lease_id,
        requester=parse_address(entry.requester, "job requester"),
        provider=parse_address(entry.provider, "job provider"),
        header=header_bytes,
        spec_digest=header_digest(header),
        work_units=work_units(header),
        price=entry.price,
        submitted_height=entry.submitted_height,
        deadline_height=entry.deadline_height,
        state=_named(JOB_STATES, entry.state, "job state"),
        result=None if entry.result is None else from_result_json(entry.result),
        committee=None if entry.committee is None else from_committee_json(entry.committee),
        fraud=None if entry.fraud is None else Fraud(parse_address(entry.fraud.prover), entry.fraud.height),
        verdict_height=entry.verdict_height,
        availability=None if entry.availability is None else from_challenge_json(entry.availability),
        disputes=[from_pending_json(pending) for pending in entry.disputes],
        capacity=from_terms_json(entry.capacity),
    )


def to_job_json(job: Job) -> JobJSON:
    return JobJSON(
        id=job.id,
        lease_id=job.lease_id,
        requester=_address(job.requester),
        provider=_address(job.provider),
        header=job.header.hex(),
        price=job.price,
        submitted_height=job.submitted_height,
        deadline_height=job.deadline_height,
        state=_name(JOB_STATES, job.state),
        result=None if job.result is None else to_result_json(job.result),
        committee=None if job.committee is None else to_committee_json(job.committee),
        fraud=None
        if job.fraud is None
        else FraudJSON(prover=_address(job.fraud.prover), height=job.fraud.height),
        verdict_height=job.verdict_height,
        availability=None if job.availability is None else to_challenge_json(job.availability),
        disputes=[to_pending_json(pending) for pending in job.disputes],
        capacity=to_terms_json(job.capacity),
    )


def from_challenge_json(entry: AvailabilityChallengeJSON) -> AvailabilityChallenge:
    return AvailabilityChallenge(
        challenger=parse_address(entry.challenger, "challenger"),
        bond=entry.bond,
        chunks=list(entry.chunks),
        opened_height=entry.opened_height,
        deadline_height=entry.deadline_height,
        answered_height=entry.answered_height,
    )


def to_challenge_json(challenge: AvailabilityChallenge) -> AvailabilityChallengeJSON:
    return AvailabilityChallengeJSON(
        challenger=_address(challenge.challenger),
        bond=challenge.bond,
        chunks=list(challenge.chunks),
        opened_height=challenge.opened_height,
        deadline_height=challenge.deadline_height,
        answered_height=challenge.answered_height,
    )


def from_pending_json(entry: PendingDisputeJSON) -> PendingDispute:
    return PendingDispute(
        member=parse_address(entry.member, "dispute member"),
        disputer=parse_address(entry.disputer, "disputer"),
        bond=entry.bond,
        tensor=entry.tensor,
        round=entry.round,
        row=entry.row,
        expected=entry.expected,
        opened_height=entry.opened_height,
        deadline_height=entry.deadline_height,
    )


def to_pending_json(pending: PendingDispute) -> PendingDisputeJSON:
    return PendingDisputeJSON(
        member=_address(pending.member),
        disputer=_address(pending.disputer),
        bond=pending.bond,
        tensor=pending.tensor,
        round=pending.round,
        row=pending.row,
        expected=pending.expected,
        opened_height=pending.opened_height,
        deadline_height=pending.deadline_height,
    )


def from_posted_json(entry: PostedChunksJSON) -> PostedChunks:
    return PostedChunks(
        job_id=entry.job_id,
        answered_height=entry.answered_height,
        chunks=list(entry.chunks),
        data=[_hex(data, f"posted chunk of job {entry.job_id}") for data in entry.data],
    )


def to_posted_json(posted: PostedChunks) -> PostedChunksJSON:
    return PostedChunksJSON(
        job_id=posted.job_id,
        answered_height=posted.answered_height,
        chunks=list(posted.chunks),
        data=[data.hex() for data in posted.data],
    )


def from_result_json(entry: ComputeResultJSON) -> Result:
    return Result(
        output_root=_digest(entry.output_root, "output_root"),
        result_root=_digest(entry.result_root, "result_root"),
        energy_mj=entry.energy_mj,
        energy_known=entry.energy_known,
        compute_ms=entry.compute_ms,
        height=entry.height,
    )


def to_result_json(result: Result) -> ComputeResultJSON:
    return ComputeResultJSON(
        output_root=result.output_root.hex(),
        result_root=result.result_root.hex(),
        energy_mj=result.energy_mj,
        energy_known=result.energy_known,
        compute_ms=result.compute_ms,
        height=result.height,
    )


def from_committee_json(entry: CommitteeJSON) -> Committee:
    return Committee(
        beacon=_hex(entry.beacon, "committee beacon"),
        rounds=entry.rounds,
        sampled_height=entry.sampled_height,
        attest_deadline_height=entry.attest_deadline_height,
        window_end_height=entry.window_end_height,
        members=[Member(parse_address(m.operator, "committee member"), m.power) for m in entry.members],
        total_power=entry.total_power,
        attest_closed=entry.attest_closed,
    )


def to_committee_json(committee: Committee) -> CommitteeJSON:
    return CommitteeJSON(
        beacon=committee.beacon.hex(),
        rounds=committee.rounds,
        sampled_height=committee.sampled_height,
        attest_deadline_height=committee.attest_deadline_height,
        window_end_height=committee.window_end_height,
        members=[
            CommitteeMemberJSON(operator=_address(m.operator), power=m.power) for m in committee.members
        ],
        total_power=committee.total_power,
        attest_closed=committee.attest_closed,
    )


def from_attestation_json(entry: AttestationJSON) -> AttestationRecord:
    dispute = entry.dispute
    return AttestationRecord(
        job_id=entry.job_id,
        member=parse_address(entry.member, "attestation member"),
        verdict=_named(VERDICTS, entry.verdict, "attestation verdict"),
        cr_root=_digest(entry.cr_root, "cr_root"),
        height=entry.height,
        punished=entry.punished,
        dispute=None if dispute is None else Dispute(parse_address(dispute.disputer), dispute.height),
    )


def to_attestation_json(record: AttestationRecord) -> AttestationJSON:
    dispute = record.dispute
    return AttestationJSON(
        job_id=record.job_id,
        member=_address(record.member),
        verdict=_name(VERDICTS, record.verdict),
        cr_root=record.cr_root.hex(),
        height=record.height,
        punished=record.punished,
        dispute=None
        if dispute is None
        else DisputeJSON(disputer=_address(dispute.disputer), height=dispute.height),
    )


def from_stats_json(entry: ProviderStatsJSON) -> ProviderStats:
    return ProviderStats(
        provider=parse_address(entry.provider, "stats provider"),
        verified_jobs=entry.verified_jobs,
        verified_work_units=entry.verified_work_units,
        energy_mj=entry.energy_mj,
        energy_jobs=entry.energy_jobs,
    )


def to_stats_json(stats: ProviderStats) -> ProviderStatsJSON:
    return ProviderStatsJSON(
        provider=_address(stats.provider),
        verified_jobs=stats.verified_jobs,
        verified_work_units=stats.verified_work_units,
        energy_mj=stats.energy_mj,
        energy_jobs=stats.energy_jobs,
    )
