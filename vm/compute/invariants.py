"""compute invariants: deposits are fully backed, and every queue, count, index and tally
agrees with the jobs it is derived from."""

from __future__ import annotations

from collections import Counter

from vm.compute.keeper import ComputeKeeper
from vm.compute.settlement import dispute_deadlines, verdict_due_height
from vm.compute.store import DEPOSITS, id_bytes
from vm.compute.types import JobState
from vm.store.cache import ReadStore


def deposits_backed(keeper: ComputeKeeper, store: ReadStore) -> str | None:
    """The compute account holds exactly the deposits of the jobs not settled and the bonds of
    the open availability challenges and of the disputes awaiting answers."""
    denom = keeper.get_params(store).denom
    held = keeper.bank.get_balance(store, keeper.bank.module_address(DEPOSITS), denom)
    owed = keeper.deposits_owed(store)
    if held != owed:
        return f"the compute account holds {held}{denom}; unsettled jobs and bonds account for {owed}{denom}"
    return None


def jobs_queued(keeper: ComputeKeeper, store: ReadStore) -> str | None:
    """Each queue holds exactly the jobs whose state and heights name it."""
    deadlines, assigns, attests, windows, challenges = set(), set(), set(), set(), set()
    disputes: set[tuple[int, bytes]] = set()
    for job in keeper.iterate_jobs(store):
        item = id_bytes(job.id)
        if job.state == JobState.PENDING:
            deadlines.add((job.deadline_height, item))
        elif job.state == JobState.COMMITTED and job.result is not None:
            assigns.add((job.result.height + 1, item))
        elif job.state == JobState.VERIFYING and job.committee is not None:
            if not job.committee.attest_closed:
                attests.add((job.committee.attest_deadline_height, item))
            challenge = job.open_challenge()
            windows.add((verdict_due_height(job.committee, challenge, job.disputes), item))
            if challenge is not None:
                challenges.add((challenge.deadline_height, item))
            disputes.update((deadline, item) for deadline in dispute_deadlines(job))
    for name, queue, expected in (
        ("deadline", keeper.deadline_queue, deadlines),
        ("assign", keeper.assign_queue, assigns),
        ("attest", keeper.attest_queue, attests),
        ("window", keeper.window_queue, windows),
        ("availability", keeper.availability_queue, challenges),
        ("dispute", keeper.dispute_queue, disputes),
    ):
        if set(queue.items(store)) != expected:
            return f"the {name} queue differs from the jobs that wait in it"
    return None


def open_jobs_counted(keeper: ComputeKeeper, store: ReadStore) -> str | None:
    """The open-job counts per lease and the index per provider list the jobs not settled."""
    per_lease: Counter[int] = Counter()
    per_provider: set[tuple[bytes, int]] = set()
    for job in keeper.iterate_jobs(store):
        if not JobState(job.state).is_terminal:
            if job.lease_id:  # a capacity challenge is on no lease
                per_lease[job.lease_id] += 1
            per_provider.add((job.provider, job.id))
    if dict(keeper.iterate_open_counts(store)) != dict(per_lease):
        return "the open-job counts per lease differ from the jobs"
    if set(keeper.iterate_open_by_provider(store)) != per_provider:
        return "the open-job index per provider differs from the jobs"
    return None


def jobs_tallied(keeper: ComputeKeeper, store: ReadStore) -> str | None:
    """The jobs' tally by state and the verified work units are a recount of the jobs."""
    states: Counter[int] = Counter()
    work = 0
    for job in keeper.iterate_jobs(store):
        states[job.state] += 1
        if job.state == JobState.VALID and job.capacity is None:
            work += job.work_units
    if keeper.job_counts(store) != dict(states):
        return "the jobs' tally by state differs from the jobs"
    if keeper.work_units_verified(store) != work:
        return f"{keeper.work_units_verified(store)} work units counted verified; the valid jobs hold {work}"
    return None
