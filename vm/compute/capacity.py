"""Capacity challenges: a provider's GPU throughput measured as chain state (docs/compute.md,
"Capacity challenges").

A provider claims a rate of exact int8 GEMM in multiply-adds per second (``MsgClaimCapacity``).
In a block that the beacon picks at ``capacity_rate_bps``, the chain gives one due provider,
drawn from the same beacon value, a challenge: an ordinary job, run through the whole job
pipeline (result, committee, attestations, fraud proofs, availability, verdict), but the
chain's own: on no lease, at no price, for the compute account, marked by its
``CapacityTerms``.

- A provider is due when it has a claim, no challenge open, and its ``due_height`` has come: at
  once for a first or changed claim, ``capacity_renew_blocks`` before its measurement expires,
  ``capacity_retry_blocks`` after a failed or unverified challenge. The draw is among the
  providers due longest (at most ``max_jobs_per_block``).
- The job is a seeded GEMM whose seed comes from the issuing block's beacon value, so nobody
  computes it before that block, sized to take ``capacity_target_ms`` at the claimed rate
  (``challenge_header``).
- Its deadline is in block time: the issuing block's header time plus ``capacity_slack_bps`` of
  the claimed time plus ``capacity_latency_ms``. A result is accepted up to
  ``capacity_result_blocks`` later, as any job's, and its block's header time is recorded.

At the verdict (``record_outcome``): valid with its result's block within the deadline, the
measurement ``min(claim, work x 10^9 / elapsed ns)`` becomes the provider's
``measured_capacity``, which matching reads, until ``capacity_expiry_blocks`` later; a valid
result after the deadline, a wrong one or none is a failure (measurement cleared, reputation
down; collateral slashed only for a wrong result, as for any job); unverified blames nobody.

Draws, all from the issuing block's beacon value ``b``:

    issues    int(SHA-256("depind/compute/capacity/issue/v1" || b)) mod 10,000 < capacity_rate_bps
    provider  the int(SHA-256("depind/compute/capacity/draw/v1" || b)) mod n -th of the n due
    seed      int(SHA-256("depind/compute/capacity/seed/v1" || b || job id (8 bytes BE))) mod 2^63

Integers only: no clock, no floats.
"""

from __future__ import annotations

import hashlib
from math import isqrt
from typing import Any

import msgspec

from genesis.compute import CapacityJSON, CapacityTermsJSON
from gpu.header import (
    EXACT_LIMIT,
    INT8_BOUND,
    MAX_INNER,
    MAX_SPEC_SEED,
    GemmHeader,
    header_digest,
    work_units,
)
from gpu.proof_sizes import max_dispute_bytes, max_fraud_proof_bytes
from protos.depind.compute.v1 import compute_pb2 as pb
from protos.depind.compute.v1 import query_pb2 as query
from vm.compute import errors
from vm.compute.events import (
    CapacityChallenged,
    CapacityClaimed,
    CapacityExpired,
    CapacityFailed,
    CapacityMeasured,
)
from vm.compute.msgs import MsgClaimCapacity
from vm.compute.params import BPS, MIN_CAPACITY_SIDE, Params
from vm.compute.store import DEPOSITS, ComputeStore, id_bytes
from vm.compute.types import CapacityRecord, CapacityTerms, Job, JobState
from vm.context import Context
from vm.errors import InvalidRequest
from vm.query_args import text_arg
from vm.store.cache import ReadStore, Store
from vm.types import Address, format_address, module_address, parse_address

ISSUE_TAG = b"depind/compute/capacity/issue/v1"
DRAW_TAG = b"depind/compute/capacity/draw/v1"
SEED_TAG = b"depind/compute/capacity/seed/v1"
INT8_MAX = INT8_BOUND - 1  # seeded entries in [-127, 127]: int8
MS_PER_S = 1_000
NS_PER_MS = 10**6
NS_PER_S = 10**9
MAX_UINT = 2**63 - 1  # what state's integers hold
LATE = "late"  # why a challenge failed: a valid result after the deadline,
WRONG = "invalid"  # a wrong result (a fraud proof, or outputs withheld),
NO_RESULT = "no_result"  # or none by the deadline height
FAILURES = {JobState.VALID: LATE, JobState.INVALID: WRONG, JobState.PROVIDER_FAULT: NO_RESULT}


# -- draws and sizes -------------------------------------------------------------------------------


def _draw(message: bytes, modulus: int) -> int:
    return int.from_bytes(hashlib.sha256(message).digest(), "big") % modulus


def is_issuing_block(beacon: bytes, rate_bps: int) -> bool:
    return _draw(ISSUE_TAG + beacon, BPS) < rate_bps


def draw_index(beacon: bytes, count: int) -> int:
    """Which of ``count`` due providers is challenged."""
    return _draw(DRAW_TAG + beacon, count)


def compute_seed(beacon: bytes, job_id: int) -> int:
    return _draw(SEED_TAG + beacon + id_bytes(job_id), MAX_SPEC_SEED + 1)


def compute_target_work(claim: int, target_ms: int) -> int:
    """The multiply-adds the claimed rate does in the target time (at least one)."""
    return max(1, claim * target_ms // MS_PER_S)


def gemm_header(side: int, target: int, seed: int) -> GemmHeader:
    """A seeded side x K by K x side GEMM with K = target / side^2 (1 to MAX_INNER) and the
    largest int8 bound that keeps its fp32 sums exact."""
    inner = min(MAX_INNER, max(1, target // (side * side)))
    bound = min(INT8_MAX, isqrt(EXACT_LIMIT // inner))
    return GemmHeader(m=side, k=inner, n=side, bound=bound, seed=seed)


def challenge_header(claim: int, params: Params, seed: int) -> GemmHeader:
    """The challenge for ``claim``: the largest power-of-two output side from 16 up whose
    cube is within the target work (so K >= side: a long K keeps the output, which the
    provider hashes and serves and the members fetch, small against the work), within
    ``capacity_max_side``, and whose proofs fit ``max_proof_bytes``. Past what the largest side
    and K hold, the challenge is smaller than the target and the deadline follows it."""
    target = compute_target_work(claim, params.capacity_target_ms)
    side = MIN_CAPACITY_SIDE
    while is_side_allowed(side * 2, target, params):
        side *= 2
    return gemm_header(side, target, seed)


def is_side_allowed(side: int, target: int, params: Params) -> bool:
    if side > params.capacity_max_side or side**3 > target:
        return False
    header = gemm_header(side, target, 0)
    return max(max_fraud_proof_bytes(header), max_dispute_bytes(header)) <= params.max_proof_bytes


def compute_deadline_ns(issued_ns: int, work: int, claim: int, params: Params) -> int:
    """The issuing block's time, plus ``capacity_slack_bps`` of the time the work takes at the
    claimed rate, plus ``capacity_latency_ms``: the result's trip to a block."""
    claimed_ns = work * NS_PER_S * params.capacity_slack_bps // (claim * BPS)
    return min(MAX_UINT, issued_ns + claimed_ns + params.capacity_latency_ms * NS_PER_MS)


def compute_measured(claim: int, work: int, elapsed_ns: int) -> int:
    """Multiply-adds per second over the block time from the challenge to its result, at most
    the claim: the challenge was sized for the claim, and a header time skewed by a proposer
    can lift a measurement no higher than that."""
    return min(claim, work * NS_PER_S // max(elapsed_ns, 1))


# -- records and their queues ------------------------------------------------------------------


def empty_record(provider: bytes) -> CapacityRecord:
    return CapacityRecord(provider, 0, 0, 0, 0, 0, 0, 0)


def save(keeper: ComputeStore, store: Store, old: CapacityRecord | None, new: CapacityRecord) -> None:
    """Write ``new`` in place of ``old`` and move the provider between the capacity queues."""
    if old is not None:
        if old.is_due_queued:
            keeper.capacity_due_queue.remove(store, old.due_height, old.provider)
        if old.expires_height:
            keeper.capacity_expiry_queue.remove(store, old.expires_height, old.provider)
    keeper.set_capacity(store, new)
    if new.is_due_queued:
        keeper.capacity_due_queue.push(store, new.due_height, new.provider)
    if new.expires_height:
        keeper.capacity_expiry_queue.push(store, new.expires_height, new.provider)


def count_up(value: int) -> int:
    return min(value + 1, MAX_UINT)


# -- the claim -------------------------------------------------------------------------------------


def handle_claim_capacity(keeper: ComputeStore, ctx: Context, msg: MsgClaimCapacity) -> None:
    """Set the signer's claim. A first or changed claim is due at once (a provider that failed
    at one claim may state a lower one and be measured again); 0 withdraws it: no more
    challenges, and a measurement in force counts until it expires."""
    store, height = ctx.store, ctx.env.height
    owner = parse_address(msg.provider, "provider")
    provider = keeper.providers.get_provider(store, owner)
    if provider is None or not provider.is_active():
        raise errors.NotActiveProvider(f"{msg.provider} is not a registered, active provider")
    old = keeper.get_capacity(store, owner)
    record = old or empty_record(owner)
    due = record.due_height if msg.capacity == record.claim else height
    save(keeper, store, old, msgspec.structs.replace(record, claim=msg.capacity, due_height=due))
    ctx.emit(CapacityClaimed(provider=msg.provider, claim=str(msg.capacity), due_height=str(due)))


# -- issuing (begin block) -------------------------------------------------------------------------


def issue_challenge(keeper: ComputeStore, ctx: Context) -> Job | None:
    """In a block the beacon picks, challenge one due provider drawn from the beacon. Runs in
    the begin block, after the beacon module applied this block's reveal: the value did not
    exist before this block's proposal."""
    params = keeper.get_params(ctx.store)
    beacon = ctx.env.beacon
    if not is_issuing_block(beacon, params.capacity_rate_bps):
        return None
    candidates = due_records(keeper, ctx, params.max_jobs_per_block)
    if not candidates:
        return None
    return open_challenge(keeper, ctx, candidates[draw_index(beacon, len(candidates))], params)


def due_records(keeper: ComputeStore, ctx: Context, budget: int) -> list[CapacityRecord]:
    """The records of the (at most ``budget``) providers due longest, in queue order. A
    provider no longer active (exiting) loses its claim instead."""
    found = []
    for _, provider in keeper.capacity_due_queue.peek_due(ctx.store, ctx.env.height, budget):
        record = keeper.get_capacity(ctx.store, provider)
        if record is None:
            continue
        registered = keeper.providers.get_provider(ctx.store, Address(provider))
        if registered is not None and registered.is_active():
            found.append(record)
        else:
            save(keeper, ctx.store, record, msgspec.structs.replace(record, claim=0))
    return found


def open_challenge(keeper: ComputeStore, ctx: Context, record: CapacityRecord, params: Params) -> Job:
    """A pending job for ``record``'s provider: a seeded GEMM from this block's beacon, due in
    block time by its deadline, and at the latest ``capacity_result_blocks`` from now."""
    store, height, time_ns = ctx.store, ctx.env.height, ctx.env.time_ns
    job_id = keeper.next_job_id(store)
    header = challenge_header(record.claim, params, compute_seed(ctx.env.beacon, job_id))
    work = work_units(header)
    deadline_ns = compute_deadline_ns(time_ns, work, record.claim, params)
    job = Job(
        id=job_id,
        lease_id=0,
        requester=keeper.bank.module_address(DEPOSITS),
        provider=record.provider,
        header=msgspec.msgpack.encode(header),
        spec_digest=header_digest(header),
        work_units=work,
        price=0,
        submitted_height=height,
        deadline_height=height + params.capacity_result_blocks,
        state=JobState.PENDING,
        result=None,
        committee=None,
        fraud=None,
        verdict_height=0,
        capacity=CapacityTerms(record.claim, time_ns, deadline_ns, 0),
    )
    keeper.set_job(store, job)
    keeper.deadline_queue.push_new(store, job.deadline_height, id_bytes(job.id))  # pending: as any job
    save(keeper, store, record, msgspec.structs.replace(record, open_job=job.id))
    ctx.emit(
        CapacityChallenged(
            job_id=str(job.id),
            provider=format_address(Address(record.provider)),
            claim=str(record.claim),
            work_units=str(work),
            deadline_time_ns=str(deadline_ns),
            deadline_height=str(job.deadline_height),
        )
    )
    return job


def with_result_time(job: Job, time_ns: int) -> Job:
    """A capacity challenge's result records its block's header time: the measurement's end."""
    if job.capacity is None:
        return job
    return msgspec.structs.replace(
        job, capacity=msgspec.structs.replace(job.capacity, result_time_ns=time_ns)
    )


# -- outcomes (at the verdict) ---------------------------------------------------------------------


def record_outcome(keeper: ComputeStore, ctx: Context, job: Job) -> None:
    """What a settled capacity challenge leaves: a measurement, a failure, or (unverified: the
    committee could not judge it) only the next due height."""
    terms, record = job.capacity, keeper.get_capacity(ctx.store, job.provider)
    if terms is None or record is None:
        return
    params = keeper.get_params(ctx.store)
    state = JobState(job.state)
    if state == JobState.UNVERIFIED:
        due = ctx.env.height + params.capacity_retry_blocks
        save(keeper, ctx.store, record, msgspec.structs.replace(record, open_job=0, due_height=due))
    elif state == JobState.VALID and terms.result_time_ns <= terms.deadline_time_ns:
        record_pass(keeper, ctx, job, terms, record, params)
    else:
        record_failure(keeper, ctx, job, record, params, FAILURES[state])


def record_pass(
    keeper: ComputeStore, ctx: Context, job: Job, terms: CapacityTerms, record: CapacityRecord, params: Params
) -> None:
    """The measurement counts until ``capacity_expiry_blocks`` from now; the next challenge is
    due ``capacity_renew_blocks`` before that, or at once if the claim changed meanwhile."""
    height = ctx.env.height
    elapsed_ns = terms.result_time_ns - terms.issued_time_ns
    measured = compute_measured(terms.claim, job.work_units, elapsed_ns)
    keeper.providers.set_measured_capacity(ctx.store, Address(job.provider), measured)
    expires = height + params.capacity_expiry_blocks
    due = expires - params.capacity_renew_blocks if record.claim == terms.claim else height
    passed = msgspec.structs.replace(
        record,
        open_job=0,
        due_height=due,
        measured_height=height,
        expires_height=expires,
        passed=count_up(record.passed),
    )
    save(keeper, ctx.store, record, passed)
    ctx.emit(
        CapacityMeasured(
            job_id=str(job.id),
            provider=format_address(Address(job.provider)),
            measured=str(measured),
            elapsed_ms=str(elapsed_ns // NS_PER_MS),
            expires_height=str(expires),
        )
    )


def record_failure(
    keeper: ComputeStore, ctx: Context, job: Job, record: CapacityRecord, params: Params, reason: str
) -> None:
    """The measurement is cleared and the provider due again after ``capacity_retry_blocks``.
    A late result costs ``fault_reputation_penalty`` here; a wrong one or none was already
    penalised by its verdict, as for any job."""
    height, provider = ctx.env.height, Address(job.provider)
    keeper.providers.set_measured_capacity(ctx.store, provider, 0)
    if reason == LATE and params.fault_reputation_penalty:
        keeper.providers.adjust_reputation(ctx.store, provider, -params.fault_reputation_penalty)
    due = height + params.capacity_retry_blocks
    failed = msgspec.structs.replace(
        record,
        open_job=0,
        due_height=due,
        measured_height=0,
        expires_height=0,
        failed=count_up(record.failed),
    )
    save(keeper, ctx.store, record, failed)
    ctx.emit(
        CapacityFailed(
            job_id=str(job.id), provider=format_address(provider), reason=reason, due_height=str(due)
        )
    )


# -- expiry (end block) ----------------------------------------------------------------------------


def expire_measurements(keeper: ComputeStore, ctx: Context) -> None:
    """Measurements past their last height, at most ``max_jobs_per_block`` a block: matching
    reads 0 for their providers from the next block on."""
    budget = keeper.get_params(ctx.store).max_jobs_per_block
    for provider in keeper.capacity_expiry_queue.pop_due(ctx.store, ctx.env.height, budget):
        record = keeper.get_capacity(ctx.store, provider)
        if record is None:
            continue
        keeper.providers.set_measured_capacity(ctx.store, Address(provider), 0)
        # Popped from the expiry queue already; its place in the due queue does not change.
        keeper.set_capacity(ctx.store, msgspec.structs.replace(record, measured_height=0, expires_height=0))
        ctx.emit(
            CapacityExpired(
                provider=format_address(Address(provider)), measured_height=str(record.measured_height)
            )
        )


# -- queries ---------------------------------------------------------------------------------------


def capacity_of(keeper: ComputeStore, store: ReadStore, provider: Address) -> tuple[CapacityRecord, int]:
    """A provider's record (empty if it never claimed) and the measurement matching reads."""
    registered = keeper.providers.get_provider(store, provider)
    measured = 0 if registered is None else registered.measured_capacity
    return keeper.get_capacity(store, provider) or empty_record(provider), measured


def query_capacity(keeper: ComputeStore, store: ReadStore, request: dict[str, Any]) -> Any:
    """``/compute/capacity {provider}``: its claim, measurement and challenges."""
    provider = parse_address(text_arg(request, "provider"), "provider")
    record, measured = capacity_of(keeper, store, provider)
    answer: dict[str, Any] = msgspec.to_builtins(to_capacity_json(record))
    answer["measured"] = measured
    return {"capacity": answer}


def capacity_service(keeper: ComputeStore, store: ReadStore, request: Any) -> query.QueryCapacityResponse:
    """``/depind.compute.v1.Query/Capacity``."""
    provider = parse_address(request.provider, "provider")
    record, measured = capacity_of(keeper, store, provider)
    fields = msgspec.to_builtins(to_capacity_json(record)) | {"measured": measured}
    return query.QueryCapacityResponse(capacity=pb.Capacity(**fields))


def terms_pb(terms: CapacityTerms) -> pb.CapacityTerms:
    return pb.CapacityTerms(**msgspec.structs.asdict(terms))


# -- genesis ---------------------------------------------------------------------------------------


def from_terms_json(entry: CapacityTermsJSON | None) -> CapacityTerms | None:
    if entry is None:
        return None
    return CapacityTerms(entry.claim, entry.issued_time_ns, entry.deadline_time_ns, entry.result_time_ns)


def to_terms_json(terms: CapacityTerms | None) -> CapacityTermsJSON | None:
    return None if terms is None else CapacityTermsJSON(**msgspec.structs.asdict(terms))


def from_capacity_json(entry: CapacityJSON) -> CapacityRecord:
    fields = msgspec.structs.asdict(entry)
    return CapacityRecord(**(fields | {"provider": parse_address(entry.provider, "capacity provider")}))


def to_capacity_json(record: CapacityRecord) -> CapacityJSON:
    fields = msgspec.structs.asdict(record)
    return CapacityJSON(**(fields | {"provider": format_address(Address(record.provider))}))


def validate_job_terms(job: Job) -> None:
    """A capacity challenge is on no lease, at no price, for the compute account; every other
    job is on a lease, at a price."""
    if job.capacity is None:
        if job.lease_id == 0 or job.price == 0:
            raise InvalidRequest(f"job {job.id}: only a capacity challenge is on no lease, at no price")
    elif job.lease_id or job.price or job.requester != module_address(DEPOSITS):
        raise InvalidRequest(f"job {job.id}: a capacity challenge is on no lease, at no price, for compute")


def validate_capacities(records: list[CapacityRecord], jobs: dict[int, Job]) -> None:
    """One record per provider; a measurement has its expiry; each record's open challenge is
    an unsettled capacity challenge of its provider, and each of those is named by one."""
    if len({record.provider for record in records}) != len(records):
        raise InvalidRequest("duplicate capacity record")
    named = {record.open_job: record.provider for record in records if record.open_job}
    for record in records:
        if (record.measured_height == 0) != (record.expires_height == 0):
            raise InvalidRequest("a capacity measurement has both its height and its expiry, or neither")
    unsettled = {
        job.id: job.provider
        for job in jobs.values()
        if job.capacity is not None and not JobState(job.state).is_terminal
    }
    if named != unsettled:
        raise InvalidRequest("the open capacity challenges differ from the records that name them")


def init_capacities(keeper: ComputeStore, store: Store, entries: list[CapacityJSON]) -> None:
    for entry in entries:
        save(keeper, store, None, from_capacity_json(entry))


def export_capacities(keeper: ComputeStore, store: ReadStore) -> list[CapacityJSON]:
    return [to_capacity_json(record) for record in keeper.iterate_capacities(store)]


# -- invariant -------------------------------------------------------------------------------------


def capacity_queued(keeper: ComputeStore, store: ReadStore) -> str | None:
    """The capacity queues hold exactly what the records name, and the records' open
    challenges are exactly the unsettled capacity challenges."""
    due, expiring, named = set(), set(), {}
    for record in keeper.iterate_capacities(store):
        if record.is_due_queued:
            due.add((record.due_height, record.provider))
        if record.expires_height:
            expiring.add((record.expires_height, record.provider))
        if record.open_job:
            named[record.open_job] = record.provider
    if set(keeper.capacity_due_queue.items(store)) != due:
        return "the capacity due queue differs from the claims"
    if set(keeper.capacity_expiry_queue.items(store)) != expiring:
        return "the capacity expiry queue differs from the measurements"
    unsettled = {
        job.id: job.provider
        for job in keeper.iterate_jobs(store)
        if job.capacity is not None and not JobState(job.state).is_terminal
    }
    if named != unsettled:
        return "the open capacity challenges differ from the records that name them"
    return None
