"""compute's block hooks. Each queue is drained under ``max_jobs_per_block``; what is left
waits for the next block.

Begin block: the results committed in the previous block get their committees. The
beacon module has already mixed this block's reveal into the beacon (vm/app.py applies a
block's beacon entry before any module runs), so the value sampled here did not exist when
those results went on chain. Then, in a block the beacon picks, a due provider gets a
capacity challenge seeded from that value (vm/compute/capacity.py).

End block (after the block's txs, so a result, attestation or dispute sent at a deadline
height counts):

1. pending jobs past their deadline: provider_fault;
2. jobs at their attest deadline: members that did not attest lose
   ``liveness_slash_fraction``;
3. availability challenges at their deadline without an answer: the job is invalid, with
   the challenger as its prover (vm/compute/availability.py);
4. disputes at their deadline without the member's answer: upheld, the member slashed and
   jailed (vm/compute/disputes.py);
5. jobs whose verdict is due (the end of their challenge window, or later while an
   availability challenge or a dispute waits for its answer): valid if members with more
   than two thirds of the committee's power attested valid (and were not disputed), else
   unverified. A fraud proof settles a job at once, so none reaches this step with one;
6. capacity measurements past their last height: cleared (vm/compute/capacity.py).
"""

from __future__ import annotations

import msgspec

from vm.compute.capacity import expire_measurements, issue_challenge
from vm.compute.committee import sample_committee
from vm.compute.disputes import expire_disputes, settle_unanswered_disputes
from vm.compute.events import CommitteeAssigned
from vm.compute.keeper import ComputeKeeper
from vm.compute.params import Params
from vm.compute.settlement import (
    move,
    settle_fault,
    settle_invalid,
    settle_missed_attestations,
    settle_unverified,
    settle_valid,
)
from vm.compute.types import Committee, Job, JobState, Member
from vm.context import Context
from vm.queue import DueQueue
from vm.types import Address, format_address


def begin_block(keeper: ComputeKeeper, ctx: Context) -> None:
    assign_committees(keeper, ctx)
    issue_challenge(keeper, ctx)


def end_block(keeper: ComputeKeeper, ctx: Context) -> None:
    fault_late_jobs(keeper, ctx)
    close_attestations(keeper, ctx)
    expire_availability_challenges(keeper, ctx)
    expire_disputes(keeper, ctx)
    take_verdicts(keeper, ctx)
    expire_measurements(keeper, ctx)


def due_jobs(keeper: ComputeKeeper, ctx: Context, queue: DueQueue) -> list[Job]:
    """The jobs ``queue`` holds up to this height (at most ``max_jobs_per_block``), removed."""
    budget = keeper.get_params(ctx.store).max_jobs_per_block
    items = queue.pop_due(ctx.store, ctx.env.height, budget)
    jobs = (keeper.get_job(ctx.store, int.from_bytes(item, "big")) for item in items)
    return [job for job in jobs if job is not None]


# -- committees ----------------------------------------------------------------------------------


def assign_committees(keeper: ComputeKeeper, ctx: Context) -> None:
    params = keeper.get_params(ctx.store)
    for job in due_jobs(keeper, ctx, keeper.assign_queue):
        if job.state == JobState.COMMITTED:
            assign_committee(keeper, ctx, job, params)


def assign_committee(keeper: ComputeKeeper, ctx: Context, job: Job, params: Params) -> Job:
    """Sample the job's committee from this block's beacon and start its verification."""
    height, beacon = ctx.env.height, ctx.env.beacon
    members = sample_committee(eligible_members(keeper, ctx, job), params.committee_size, beacon, job.id)
    committee = Committee(
        beacon=beacon,
        rounds=params.freivalds_rounds,
        sampled_height=height,
        attest_deadline_height=height + params.attest_blocks,
        window_end_height=height + params.challenge_window_blocks,
        members=members,
        total_power=sum(member.power for member in members),
        attest_closed=False,
    )
    verifying = msgspec.structs.replace(job, state=JobState.VERIFYING, committee=committee)
    move(keeper, ctx.store, job, verifying)
    ctx.emit(
        CommitteeAssigned(
            job_id=str(job.id),
            provider=format_address(Address(job.provider)),
            beacon=beacon.hex(),
            rounds=str(committee.rounds),
            members=",".join(format_address(Address(m.operator)) for m in members),
            powers=",".join(str(m.power) for m in members),
            attest_deadline_height=str(committee.attest_deadline_height),
            window_end_height=str(committee.window_end_height),
        )
    )
    return verifying


def eligible_members(keeper: ComputeKeeper, ctx: Context, job: Job) -> list[Member]:
    """Bonded validators of the last set, not jailed, with power, other than the provider (a
    provider that runs a validator must not judge its own result)."""
    return [
        Member(validator.operator, power)
        for validator, power in keeper.staking.bonded_validators(ctx.store)
        if validator.is_bonded() and not validator.jailed and power > 0 and validator.operator != job.provider
    ]


# -- deadlines and verdicts ----------------------------------------------------------------------


def fault_late_jobs(keeper: ComputeKeeper, ctx: Context) -> None:
    for job in due_jobs(keeper, ctx, keeper.deadline_queue):
        if job.state == JobState.PENDING:
            settle_fault(keeper, ctx, job)


def close_attestations(keeper: ComputeKeeper, ctx: Context) -> None:
    for job in due_jobs(keeper, ctx, keeper.attest_queue):
        if job.state == JobState.VERIFYING:
            settle_missed_attestations(keeper, ctx, job)


def expire_availability_challenges(keeper: ComputeKeeper, ctx: Context) -> None:
    """Unanswered challenges at their deadline: the outputs are unavailable, which counts as a
    wrong result proven by the challenger."""
    for job in due_jobs(keeper, ctx, keeper.availability_queue):
        challenge = job.open_challenge()
        if job.state == JobState.VERIFYING and challenge is not None:
            settle_invalid(keeper, ctx, job, challenge.challenger, None)


def take_verdicts(keeper: ComputeKeeper, ctx: Context) -> None:
    for job in due_jobs(keeper, ctx, keeper.window_queue):
        if job.state == JobState.VERIFYING:
            take_verdict(keeper, ctx, job)


def take_verdict(keeper: ComputeKeeper, ctx: Context, job: Job) -> Job:
    """Valid with more than two thirds of the committee's power attesting valid, else
    unverified (an empty committee verifies nothing). Missed attestations and unanswered
    disputes left by a backlog are settled first, and an availability challenge past its
    deadline (due no later than the verdict) makes the job invalid."""
    job = settle_missed_attestations(keeper, ctx, job)
    job = settle_unanswered_disputes(keeper, ctx, job)
    challenge = job.open_challenge()
    if challenge is not None:
        return settle_invalid(keeper, ctx, job, challenge.challenger, None)
    total = 0 if job.committee is None else job.committee.total_power
    if 3 * keeper.valid_power(ctx.store, job) > 2 * total:
        return settle_valid(keeper, ctx, job)
    return settle_unverified(keeper, ctx, job)
