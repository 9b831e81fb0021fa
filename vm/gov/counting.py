"""Tallies under a per-block budget of votes.

A tally reads every vote, so one proposal with many voters would make one block's work
as large as its voters are many. Here a proposal whose voting period ended enters the tally
queue with the bonded validators as they are then, and each block counts at most
``max_votes_tallied_per_block`` votes, in voter order, across the queued proposals (at most
``max_proposals_ended_per_block`` of them). A tally within the budget is counted and decided
in the block its voting period ends, as Cosmos's; a larger one goes on in the next blocks,
reading each voter's delegations in the block that counts it. No vote is taken once the
voting period's last block has passed (vm/gov/keeper.py), so the count sees a fixed set.

Once a proposal has its final tally its votes are deleted, under the same budget (the sweep
queue), instead of all in one block as Cosmos deletes them.
"""

from __future__ import annotations

from itertools import islice

from vm.gov.keeper import GovKeeper
from vm.gov.params import tally_params
from vm.gov.store import id_bytes
from vm.gov.tally import Count, Delegation, Outcome, ValidatorPower, VoteOption, WeightedOption, count_vote
from vm.gov.tally import finish_count as decide_count
from vm.gov.types import CountedValidator, Deduction, StoredOption, TallyProgress, ValidatorVote
from vm.queue import PRESENT
from vm.store.cache import Store

NO_CURSOR = PRESENT  # a sweep that has deleted nothing yet


def start(keeper: GovKeeper, store: Store, proposal_id: int, height: int) -> None:
    """Queue the proposal's tally, with the bonded validators as they are now."""
    validators = [
        CountedValidator(v.operator, v.tokens, str(v.delegator_shares))
        for v, _ in keeper.staking.bonded_validators(store)
        if v.is_bonded()
    ]
    zero = str(0)
    keeper.set_progress(store, proposal_id, TallyProgress(b"", validators, [zero] * 4, zero, [], []))
    keeper.tally_queue.push_new(store, height, id_bytes(proposal_id))


def count(
    keeper: GovKeeper, store: Store, height: int, budget: int, proposals: int
) -> tuple[list[tuple[int, Outcome]], int]:
    """Count at most ``budget`` votes of the first ``proposals`` queued tallies; returns the
    proposals whose count is complete, each with its outcome, and the budget left."""
    finished: list[tuple[int, Outcome]] = []
    for began, item in keeper.tally_queue.peek_due(store, height, proposals):
        proposal_id = int.from_bytes(item, "big")
        progress = keeper.get_progress(store, proposal_id)
        if progress is None:
            raise LookupError(f"proposal {proposal_id} is queued for a tally it has no record of")
        votes = list(islice(keeper.votes(store, proposal_id, _after(progress.cursor)), budget + 1))
        tally = _count_of(progress)
        for voter, vote in votes[:budget]:
            delegations = keeper.staking.delegations_of(store, voter)
            count_vote(
                tally,
                voter,
                vote.weighted(),
                [Delegation(d.delegator, d.validator, d.shares) for d in delegations],
            )
        if len(votes) > budget:
            keeper.set_progress(store, proposal_id, _progress_of(tally, votes[budget - 1][0]))
            return finished, 0
        budget -= len(votes)
        keeper.tally_queue.remove(store, began, item)
        keeper.delete_progress(store, proposal_id)
        proposal = keeper.proposal(store, proposal_id)
        finished.append(
            (proposal_id, decide_count(tally, tally_params(keeper.get_params(store), proposal.expedited)))
        )
    return finished, budget


def sweep(keeper: GovKeeper, store: Store, height: int, budget: int, proposals: int) -> None:
    """Delete at most ``budget`` votes of the first ``proposals`` ended proposals in the sweep
    queue, each resuming after the last voter it deleted."""
    for queued_at, item in keeper.sweep_queue.peek_due(store, height, proposals):
        if budget <= 0:
            return
        proposal_id = int.from_bytes(item, "big")
        cursor = keeper.sweep_queue.get(store, queued_at, item)
        start = b"" if cursor in (None, NO_CURSOR) else _after(cursor)
        voters = [voter for voter, _ in islice(keeper.votes(store, proposal_id, start), budget + 1)]
        for voter in voters[:budget]:
            keeper.delete_vote(store, proposal_id, voter)
        if len(voters) > budget:
            keeper.sweep_queue.push(store, queued_at, item, voters[budget - 1])
            return
        keeper.sweep_queue.remove(store, queued_at, item)
        budget -= len(voters)


def _after(voter: bytes) -> bytes:
    """The first key after ``voter`` among 20-byte addresses (b"" from the first)."""
    return voter + b"\x00" if voter else b""


def _count_of(progress: TallyProgress) -> Count:
    bonded = {
        v.operator: ValidatorPower(v.operator, v.operator, v.tokens, int(v.delegator_shares))
        for v in progress.validators
    }
    tally = Count(bonded, {operator: operator for operator in bonded})
    tally.results = dict(zip(VoteOption, map(int, progress.results), strict=True))
    tally.total_power = int(progress.total_power)
    tally.deductions = {d.operator: int(d.shares) for d in progress.deductions}
    tally.validator_votes = {
        v.operator: [WeightedOption(o.option, o.weight) for o in v.options] for v in progress.validator_votes
    }
    return tally


def _progress_of(tally: Count, cursor: bytes) -> TallyProgress:
    return TallyProgress(
        cursor=cursor,
        validators=[
            CountedValidator(v.operator, v.tokens, str(v.delegator_shares)) for v in tally.bonded.values()
        ],
        results=[str(tally.results[option]) for option in VoteOption],
        total_power=str(tally.total_power),
        deductions=[
            Deduction(operator, str(shares)) for operator, shares in sorted(tally.deductions.items())
        ],
        validator_votes=[
            ValidatorVote(operator, [StoredOption(o.option, o.weight) for o in options])
            for operator, options in sorted(tally.validator_votes.items())
        ],
    )
