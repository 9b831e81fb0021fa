"""What follows from a job's progress: the queues it waits in, and its settlement. Every
payment leaves the deposits account or the PoUW pool here.

A job waits in one queue per state: pending, in the deadline queue at its deadline;
committed, in the assign queue at the block after its result; verifying, in the attest
queue at its attest deadline (until missed attestations are settled), in the window
queue at the height its verdict is due (``verdict_due_height``), while an availability
challenge waits for its answer in the availability queue at the challenge's deadline, and
while disputes wait for their members' answers in the dispute queue at each of their
deadlines. ``move`` changes a job's record and its queues together.

Settlement, once per job:

- valid: the deposit to the provider, the PoUW pool's reward per work unit, reputation up,
  the provider's totals;
- invalid: part of the provider's collateral slashed (shares to the requester and the
  prover, the rest burnt), the deposit refunded, the lease closed (slashed), reputation
  down, and every member that attested the wrong result valid slashed and jailed;
- provider_fault: the deposit refunded, reputation down, the lease closed (provider_fault);
- unverified: the deposit refunded; no one is blamed.

A capacity challenge (vm/compute/capacity.py) is settled the same way, with what its terms
change: no deposit, lease, payment, reward or totals, and the requester's share of a slash
burnt (the chain asked for it); its outcome is recorded as the provider's capacity.

An availability challenge still open when its job settles (at its deadline, or by a fraud
proof before) gives its bond back to the challenger; so does every dispute still awaiting
its member's answer (vm/compute/disputes.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from gpu.proofs import FraudProof
from vm import dec
from vm.compute import expected
from vm.compute.capacity import record_outcome
from vm.compute.events import AttesterSlashed, AvailabilityFailed, DisputeClosed, FraudProven, JobVerdict
from vm.compute.params import BPS, Params
from vm.compute.store import (
    DEPOSITS,
    FRAUD_PROOFS,
    REWARD_POOL,
    ComputeStore,
    dispute_tally,
    id_bytes,
    slash_tally,
)
from vm.compute.types import (
    AttestationRecord,
    AvailabilityChallenge,
    Committee,
    Fraud,
    Job,
    JobState,
    PendingDispute,
    ProviderStats,
    Verdict,
)
from vm.context import Context
from vm.store.cache import Store
from vm.types import Address, Coin, format_address

GIGA = 10**9
MAX_TOTAL = 2**63 - 1
FALSE_ATTESTATION = "false_attestation"
MISSED_ATTESTATION = "missed_attestation"
FRAUD_PROOF = "fraud_proof"  # why an invalid job is invalid: a fraud proof held
UNAVAILABLE = "unavailable"  # or its provider did not answer an availability challenge
# Why the module slashes a provider's collateral: its invalid job's verdict reason. A member's
# stake slashed for its attestation is the slashing module's to count (``punish_attestation``).
PROVIDER_SLASH_REASONS = (FRAUD_PROOF, UNAVAILABLE)


# -- queues --------------------------------------------------------------------------------------


def verdict_due_height(
    committee: Committee, challenge: AvailabilityChallenge | None, disputes: Sequence[PendingDispute] = ()
) -> int:
    """The window's end; while an availability challenge or disputes wait for their answers,
    not before their deadlines (the verdict waits until each is answered or expires: a member
    slashed by its dispute no longer counts toward the two thirds)."""
    deadlines = [dispute.deadline_height for dispute in disputes]
    if challenge is not None:
        deadlines.append(challenge.deadline_height)
    return max([committee.window_end_height, *deadlines])


def dispute_deadlines(job: Job) -> set[int]:
    """The heights at which the job waits in the dispute queue: its disputes' deadlines."""
    return {dispute.deadline_height for dispute in job.disputes}


def enqueue(keeper: ComputeStore, store: Store, job: Job) -> None:
    """Put a job in the queues its record names (genesis restores them this way)."""
    item = id_bytes(job.id)
    if job.state == JobState.PENDING:
        keeper.deadline_queue.push(store, job.deadline_height, item)
    elif job.state == JobState.COMMITTED and job.result is not None:
        keeper.assign_queue.push(store, job.result.height + 1, item)
    elif job.state == JobState.VERIFYING and job.committee is not None:
        challenge = job.open_challenge()
        if not job.committee.attest_closed:
            keeper.attest_queue.push(store, job.committee.attest_deadline_height, item)
        keeper.window_queue.push(store, verdict_due_height(job.committee, challenge, job.disputes), item)
        if challenge is not None:
            keeper.availability_queue.push(store, challenge.deadline_height, item)
        for deadline in dispute_deadlines(job):
            keeper.dispute_queue.push(store, deadline, item)


def dequeue(keeper: ComputeStore, store: Store, job: Job) -> None:
    item = id_bytes(job.id)
    if job.state == JobState.PENDING:
        keeper.deadline_queue.remove(store, job.deadline_height, item)
    elif job.state == JobState.COMMITTED and job.result is not None:
        keeper.assign_queue.remove(store, job.result.height + 1, item)
    elif job.state == JobState.VERIFYING and job.committee is not None:
        challenge = job.open_challenge()
        keeper.attest_queue.remove(store, job.committee.attest_deadline_height, item)
        keeper.window_queue.remove(store, verdict_due_height(job.committee, challenge, job.disputes), item)
        if challenge is not None:
            keeper.availability_queue.remove(store, challenge.deadline_height, item)
        for deadline in dispute_deadlines(job):
            keeper.dispute_queue.remove(store, deadline, item)


def move(keeper: ComputeStore, store: Store, old: Job, new: Job) -> Job:
    """Write ``new`` in place of ``old`` and move the job between queues."""
    dequeue(keeper, store, old)
    keeper.set_job(store, new)
    enqueue(keeper, store, new)
    return new


def finish(keeper: ComputeStore, ctx: Context, job: Job, state: JobState, fraud: Fraud | None = None) -> Job:
    """Give a job its terminal state; it leaves every queue. An availability challenge still
    open ends with it, and so do disputes awaiting answers: their bonds go back."""
    done = msgspec.structs.replace(job, state=state, fraud=fraud, verdict_height=ctx.env.height, disputes=[])
    move(keeper, ctx.store, job, done)
    denom = keeper.get_params(ctx.store).denom
    challenge = job.open_challenge()
    if challenge is not None:
        pay(keeper, ctx.store, challenge.challenger, challenge.bond, denom)
    for dispute in job.disputes:
        refund_dispute(keeper, ctx, job, dispute, denom)
    record_outcome(keeper, ctx, done)
    return done


def refund_dispute(keeper: ComputeStore, ctx: Context, job: Job, dispute: PendingDispute, denom: str) -> None:
    """A dispute that ends unanswered for another reason than its deadline: the bond goes back."""
    pay(keeper, ctx.store, dispute.disputer, dispute.bond, denom)
    keeper.add_tally(ctx.store, dispute_tally("closed"))
    ctx.emit(
        DisputeClosed(
            job_id=str(job.id),
            member=format_address(Address(dispute.member)),
            disputer=format_address(Address(dispute.disputer)),
            bond=str(dispute.bond),
        )
    )


# -- payments ------------------------------------------------------------------------------------


def pay(keeper: ComputeStore, store: Store, recipient: bytes, amount: int, denom: str) -> None:
    """From the deposits account (deposits, and slashed collateral in passing)."""
    if amount:
        keeper.bank.send_from_module(store, DEPOSITS, Address(recipient), [Coin(denom, amount)])


def pay_from_pool(keeper: ComputeStore, store: Store, recipient: bytes, amount: int, denom: str) -> int:
    """Up to ``amount`` from the PoUW reward pool (what it holds, if less); returns what was paid."""
    held = keeper.bank.get_balance(store, keeper.bank.module_address(REWARD_POOL), denom)
    paid = min(amount, held)
    if paid:
        keeper.bank.send_from_module(store, REWARD_POOL, Address(recipient), [Coin(denom, paid)])
    return paid


def compute_reward(params: Params, work_units: int) -> int:
    return params.reward_per_gigaunit * work_units // GIGA


# -- verdicts ------------------------------------------------------------------------------------


def settle_valid(keeper: ComputeStore, ctx: Context, job: Job) -> Job:
    store, params = ctx.store, keeper.get_params(ctx.store)
    done = finish(keeper, ctx, job, JobState.VALID)
    if job.capacity is not None:  # the chain's measurement: it pays nothing and counts no work
        emit_verdict(ctx, done, "valid")
        return done
    pay(keeper, store, job.provider, job.price, params.denom)
    reward = pay_from_pool(keeper, store, job.provider, compute_reward(params, job.work_units), params.denom)
    if params.valid_reputation_reward:
        keeper.providers.adjust_reputation(store, Address(job.provider), params.valid_reputation_reward)
    add_verified(keeper, store, done)
    emit_verdict(ctx, done, "valid", paid=job.price, reward=reward)
    return done


def settle_unverified(keeper: ComputeStore, ctx: Context, job: Job) -> Job:
    done = finish(keeper, ctx, job, JobState.UNVERIFIED)
    pay(keeper, ctx.store, job.requester, job.price, keeper.get_params(ctx.store).denom)
    emit_verdict(ctx, done, "unverified", refunded=job.price)
    return done


def settle_fault(keeper: ComputeStore, ctx: Context, job: Job) -> Job:
    store, params = ctx.store, keeper.get_params(ctx.store)
    done = finish(keeper, ctx, job, JobState.PROVIDER_FAULT)
    pay(keeper, store, job.requester, job.price, params.denom)
    if params.fault_reputation_penalty:
        keeper.providers.adjust_reputation(store, Address(job.provider), -params.fault_reputation_penalty)
    if params.fault_closes_lease and is_lease_open(keeper, ctx, job.lease_id):
        keeper.market.fault_lease(ctx, job.lease_id)
    emit_verdict(ctx, done, "provider_fault", refunded=job.price)
    return done


def settle_invalid(
    keeper: ComputeStore, ctx: Context, job: Job, prover: bytes, proof: FraudProof | None
) -> Job:
    """The result is wrong: shown by ``proof``, or, with no proof, by the provider's failure to
    answer an availability challenge (``prover`` is then the challenger)."""
    store, params = ctx.store, keeper.get_params(ctx.store)
    challenge = job.open_challenge()
    done = finish(keeper, ctx, job, JobState.INVALID, Fraud(prover, ctx.env.height))
    taken, to_requester, to_prover = slash_collateral(keeper, store, done, prover, params)
    reason = FRAUD_PROOF if proof is not None else UNAVAILABLE
    keeper.add_tally(store, slash_tally(reason))
    pay(keeper, store, job.requester, job.price, params.denom)
    if params.slash_closes_lease and is_lease_open(keeper, ctx, job.lease_id):
        keeper.market.slash_lease(ctx, job.lease_id)
    if params.invalid_reputation_penalty:
        keeper.providers.adjust_reputation(store, Address(job.provider), -params.invalid_reputation_penalty)
    slashed = "" if taken is None else f"{taken.amount}{taken.denom}"
    burned = str(0 if taken is None else taken.amount - to_requester - to_prover)
    provider, prover_text = format_address(Address(job.provider)), format_address(Address(prover))
    if proof is not None:
        keeper.add_tally(store, FRAUD_PROOFS)
        ctx.emit(
            FraudProven(
                job_id=str(job.id),
                provider=provider,
                prover=prover_text,
                tensor=str(proof.tensor),
                row=str(proof.row),
                col=str(proof.col),
                slashed=slashed,
                to_requester=str(to_requester),
                to_prover=str(to_prover),
                burned=burned,
            )
        )
    else:
        ctx.emit(
            AvailabilityFailed(
                job_id=str(job.id),
                provider=provider,
                challenger=prover_text,
                chunks=format_chunks(challenge),
                slashed=slashed,
                to_requester=str(to_requester),
                to_challenger=str(to_prover),
                burned=burned,
                bond=str(0 if challenge is None else challenge.bond),
            )
        )
    punish_valid_attesters(keeper, ctx, done, params)
    emit_verdict(ctx, done, "invalid", refunded=job.price, reason=reason)
    return done


def format_chunks(challenge: AvailabilityChallenge | None) -> str:
    return "" if challenge is None else ",".join(str(chunk) for chunk in challenge.chunks)


def slash_collateral(
    keeper: ComputeStore, store: Store, job: Job, prover: bytes, params: Params
) -> tuple[Coin | None, int, int]:
    """Take ``provider_slash_fraction`` of the provider's collateral into the deposits account,
    pay the requester's and the prover's shares of it and burn the rest; returns what was taken
    and the two shares."""
    provider = keeper.providers.get_provider(store, Address(job.provider))
    if provider is None:
        return None, 0, 0
    amount = dec.truncate_int(dec.mul_int(params.provider_slash_fraction, provider.collateral.amount))
    deposits = keeper.bank.module_address(DEPOSITS)
    taken = keeper.providers.take_collateral(store, Address(job.provider), amount, deposits)
    if taken is None:
        return None, 0, 0
    to_requester = 0 if job.capacity is not None else taken.amount * params.requester_share_bps // BPS
    to_prover = taken.amount * params.prover_share_bps // BPS
    pay(keeper, store, job.requester, to_requester, taken.denom)
    pay(keeper, store, prover, to_prover, taken.denom)
    burned = taken.amount - to_requester - to_prover
    if burned:
        keeper.bank.burn(store, DEPOSITS, [Coin(taken.denom, burned)])
    return taken, to_requester, to_prover


def is_lease_open(keeper: ComputeStore, ctx: Context, lease_id: int) -> bool:
    return expected.is_lease_open(keeper.market.get_lease(ctx.store, lease_id))


def add_verified(keeper: ComputeStore, store: Store, job: Job) -> None:
    """Count a verified job in its provider's totals (saturating: totals never overflow)."""
    old = keeper.get_stats(store, job.provider) or ProviderStats(job.provider, 0, 0, 0, 0)
    known = job.result is not None and job.result.energy_known
    energy = job.result.energy_mj if job.result is not None and known else 0
    keeper.set_stats(
        store,
        ProviderStats(
            provider=job.provider,
            verified_jobs=min(old.verified_jobs + 1, MAX_TOTAL),
            verified_work_units=min(old.verified_work_units + job.work_units, MAX_TOTAL),
            energy_mj=min(old.energy_mj + energy, MAX_TOTAL),
            energy_jobs=min(old.energy_jobs + int(known), MAX_TOTAL),
        ),
    )


def emit_verdict(
    ctx: Context, job: Job, verdict: str, paid: int = 0, reward: int = 0, refunded: int = 0, reason: str = ""
) -> None:
    ctx.emit(
        JobVerdict(
            job_id=str(job.id),
            provider=format_address(Address(job.provider)),
            requester=format_address(Address(job.requester)),
            verdict=verdict,
            paid=str(paid),
            reward=str(reward),
            refunded=str(refunded),
            reason=reason,
        )
    )


# -- committee members ---------------------------------------------------------------------------


def punish_valid_attesters(keeper: ComputeStore, ctx: Context, job: Job, params: Params) -> None:
    """Every member that called a result proven wrong valid is slashed and jailed, once."""
    for record in list(keeper.attestations_of(ctx.store, job.id)):
        if record.verdict == Verdict.VALID and not record.punished:
            punish_false_attester(keeper, ctx, job, record, params)


def punish_false_attester(
    keeper: ComputeStore, ctx: Context, job: Job, record: AttestationRecord, params: Params
) -> AttestationRecord:
    """Slash and jail a member for a false attestation (the stake it had when it attested)."""
    power = member_power(job.committee, record.member)
    burned = keeper.slashing.punish_attestation(
        ctx,
        record.member,
        record.height,
        power,
        params.false_attestation_slash_fraction,
        True,
        FALSE_ATTESTATION,
    )
    punished = msgspec.structs.replace(record, punished=True)
    keeper.set_attestation(ctx.store, punished)
    emit_slashed(ctx, job, record.member, FALSE_ATTESTATION, burned, jailed=True)
    return punished


def settle_missed_attestations(keeper: ComputeStore, ctx: Context, job: Job) -> Job:
    """At the attest deadline: members that did not attest lose ``liveness_slash_fraction``
    (no jail), unless the job's availability was challenged (its outputs could not be
    fetched); the committee records that this was done."""
    committee = job.committee
    if committee is None or committee.attest_closed:
        return job
    params = keeper.get_params(ctx.store)
    if params.liveness_slash_fraction and job.availability is None:
        for member in committee.members:
            if keeper.get_attestation(ctx.store, job.id, member.operator) is None:
                burned = keeper.slashing.punish_attestation(
                    ctx,
                    member.operator,
                    committee.attest_deadline_height,
                    member.power,
                    params.liveness_slash_fraction,
                    False,
                    MISSED_ATTESTATION,
                )
                emit_slashed(ctx, job, member.operator, MISSED_ATTESTATION, burned, jailed=False)
    closed = msgspec.structs.replace(committee, attest_closed=True)
    return move(keeper, ctx.store, job, msgspec.structs.replace(job, committee=closed))


def member_power(committee: Committee | None, operator: bytes) -> int:
    member = None if committee is None else committee.member(operator)
    return 0 if member is None else member.power


def emit_slashed(ctx: Context, job: Job, member: bytes, reason: str, burned: int, jailed: bool) -> None:
    ctx.emit(
        AttesterSlashed(
            job_id=str(job.id),
            member=format_address(Address(member)),
            reason=reason,
            burned=str(burned),
            jailed=str(jailed).lower(),
        )
    )
