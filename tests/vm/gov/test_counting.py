"""Tallies under the per-block vote budget (vm/gov/counting.py): a tally with more votes
than ``max_votes_tallied_per_block`` is counted over several blocks and decided exactly as
one counted at once; no vote is taken after the voting period's last block; counted votes
are deleted under the same budget."""

from __future__ import annotations

from tests.vm.gov.helpers import GovChain, disable_sends, params, vote
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, key
from tests.vm.staking.helpers import delegate
from vm.gov.tally import VoteOption
from vm.gov.types import ProposalStatus

YES, NO, VETO = VoteOption.YES, VoteOption.NO, VoteOption.NO_WITH_VETO
BYSTANDERS = [key(n) for n in range(20, 24)]  # vote without stake: counted, with no power


def chain_with_votes(budget: int) -> tuple[GovChain, int]:
    """A proposal with eight votes: the three validators, a delegator of Alice's who
    overrides her, and four voters without stake."""
    chain = GovChain(gov_params=params(max_votes_tallied_per_block=budget))
    chain.run(delegate(DAVE, ALICE, 4_000_000))
    chain.end_block()
    proposal_id = chain.voting(disable_sends())
    for voter, option in ((ALICE, YES), (BOB, NO), (CAROL, YES), (DAVE, NO)):
        chain.run(vote(proposal_id, voter, option))
    for voter in BYSTANDERS:
        chain.run(vote(proposal_id, voter, VETO))
    return chain, proposal_id


def test_a_tally_over_the_budget_is_counted_over_blocks_and_decided_as_one_counted_at_once() -> None:
    whole, proposal_id = chain_with_votes(budget=100)
    whole.end_voting(proposal_id)
    decided = whole.proposal(proposal_id)
    assert decided is not None and decided.status == ProposalStatus.PASSED

    spread, proposal_id = chain_with_votes(budget=3)
    spread.end_voting(proposal_id)  # counts 3 of the 8 votes
    for _ in range(2):
        assert spread.status(proposal_id) == ProposalStatus.VOTING_PERIOD
        assert spread.broken() == []
        spread.end_block()
    ended = spread.proposal(proposal_id)
    assert ended is not None and ended.status == ProposalStatus.PASSED
    assert ended.final_tally == decided.final_tally
    assert not spread.sends_enabled() and not whole.sends_enabled()
    assert spread.broken() == []


def test_invalid_vote_after_the_voting_periods_last_block() -> None:
    chain, proposal_id = chain_with_votes(budget=3)
    chain.end_voting(proposal_id)
    assert chain.status(proposal_id) == ProposalStatus.VOTING_PERIOD  # still being counted
    refused = chain.fails(vote(proposal_id, key(30), YES))
    assert (refused.codespace, refused.code) == ("gov", 20)
    assert chain.vote_of(proposal_id, key(30)) is None


def test_counted_votes_are_deleted_under_the_budget() -> None:
    chain, proposal_id = chain_with_votes(budget=3)
    chain.end_voting(proposal_id)
    chain.blocks(2)  # the count ends, and the first 1 of the 3 deletions left that block
    assert chain.status(proposal_id) == ProposalStatus.PASSED
    remaining = [chain.vote_of(proposal_id, voter) for voter in (ALICE, BOB, CAROL, DAVE, *BYSTANDERS)]
    assert 0 < sum(v is not None for v in remaining) < 8
    chain.blocks(3)
    assert all(chain.vote_of(proposal_id, voter) is None for voter in (ALICE, BOB, CAROL, DAVE, *BYSTANDERS))
    assert chain.gov.sweep_queue.count(chain.store) == 0
    assert chain.broken() == []


def test_a_vote_in_the_last_block_counts() -> None:
    chain = GovChain(gov_params=params(max_votes_tallied_per_block=1))
    proposal_id = chain.voting(disable_sends())
    found = chain.proposal(proposal_id)
    assert found is not None
    chain.until(found.voting_end_height)
    for voter in (ALICE, BOB):
        chain.run(vote(proposal_id, voter, YES))
    chain.blocks(2)
    ended = chain.proposal(proposal_id)
    assert ended is not None and ended.status == ProposalStatus.PASSED
    assert ended.final_tally is not None and ended.final_tally.yes == 20_000_000
