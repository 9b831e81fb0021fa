"""Votes (Cosmos's ``AddVote``) and how the tally counts them on the chain: a validator votes
with its bonded tokens less what its delegators who voted hold, and they with their own."""

from __future__ import annotations

import json

from tests.vm.gov.helpers import (
    ABSTAIN,
    NO,
    STAKE,
    VETO,
    YES,
    GovChain,
    everyone_votes,
    submit,
    vote,
    weighted,
)
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, events_of, raw
from tests.vm.staking.helpers import delegate
from vm import dec
from vm.errors import InvalidTx
from vm.gov.msgs import MsgVoteV1Beta1, MsgVoteWeightedV1Beta1, WeightedVoteOptionV1Beta1
from vm.gov.tally import TallyResult, WeightedOption
from vm.gov.types import ProposalStatus, Tally


def code(error: InvalidTx) -> tuple[str, int]:
    return error.codespace, error.code


UNKNOWN_PROPOSAL = ("gov", 2)
INACTIVE_PROPOSAL = ("gov", 3)
METADATA_TOO_LONG = ("gov", 15)


def test_a_vote_is_stored_and_replaced() -> None:
    chain = GovChain()
    chain.voting()
    emitted = chain.run(vote(1, DAVE, NO, metadata="first"))
    assert events_of(emitted, "proposal_vote") == [
        {
            "voter": DAVE.address,
            "option": '[{"option":3,"weight":"1.000000000000000000"}]',
            "proposal_id": "1",
        }
    ]
    chain.run(weighted(1, DAVE, (YES, "0.25"), (ABSTAIN, "0.75")))
    found = chain.vote_of(1, DAVE)
    assert found is not None and found.metadata == ""
    assert found.weighted() == [
        WeightedOption(YES, dec.parse("0.25")),
        WeightedOption(ABSTAIN, dec.parse("0.75")),
    ]
    option = json.loads(events_of(chain.events, "proposal_vote")[-1]["option"])
    assert option == [
        {"option": 1, "weight": "0.250000000000000000"},
        {"option": 2, "weight": "0.750000000000000000"},
    ]


def test_v1beta1_votes() -> None:
    chain = GovChain()
    chain.voting()
    chain.run(MsgVoteV1Beta1(1, ALICE.address, int(VETO)))
    half = dec.ONE // 2
    options = [WeightedVoteOptionV1Beta1(int(YES), half), WeightedVoteOptionV1Beta1(int(NO), half)]
    chain.run(MsgVoteWeightedV1Beta1(1, BOB.address, options))
    alice, bob = chain.vote_of(1, ALICE), chain.vote_of(1, BOB)
    assert alice is not None and alice.weighted() == [WeightedOption(VETO, dec.ONE)]
    assert bob is not None and bob.weighted() == [WeightedOption(YES, half), WeightedOption(NO, half)]


def test_invalid_vote_in_the_deposit_period() -> None:
    chain = GovChain()
    chain.run(submit(deposit=100))
    assert code(chain.fails(vote(1, ALICE, YES))) == INACTIVE_PROPOSAL
    assert chain.vote_of(1, ALICE) is None


def test_invalid_vote_after_the_voting_period() -> None:
    chain = GovChain()
    chain.voting()
    everyone_votes(chain, 1, YES, YES, NO)
    chain.end_voting(1)
    assert chain.status(1) == ProposalStatus.PASSED
    assert code(chain.fails(vote(1, CAROL, YES))) == INACTIVE_PROPOSAL
    assert chain.vote_of(1, CAROL) is None  # votes are deleted once tallied


def test_a_vote_in_the_last_block_counts() -> None:
    chain = GovChain()
    chain.voting()
    found = chain.proposal(1)
    assert found is not None
    chain.until(found.voting_end_height)
    everyone_votes(chain, 1, NO, NO, YES)
    chain.end_block()
    assert chain.status(1) == ProposalStatus.REJECTED


def test_invalid_vote_on_unknown_proposal() -> None:
    chain = GovChain()
    assert code(chain.fails(vote(1, ALICE, YES))) == UNKNOWN_PROPOSAL
    chain.voting()
    assert code(chain.fails(vote(2, ALICE, YES))) == UNKNOWN_PROPOSAL


def test_invalid_vote_metadata_too_long() -> None:
    chain = GovChain()
    chain.voting()
    assert code(chain.fails(vote(1, ALICE, YES, metadata="m" * 256))) == METADATA_TOO_LONG
    chain.run(vote(1, ALICE, YES, metadata="m" * 255))


def test_a_delegators_vote_overrides_its_validators() -> None:
    chain = GovChain()
    chain.run(delegate(DAVE, ALICE, 5_000_000))
    chain.end_block()
    chain.voting()
    chain.run(vote(1, ALICE, YES))
    before = chain.gov.tally(chain.store, chain.proposal(1))  # type: ignore[arg-type]
    assert before.result == TallyResult(yes=STAKE + 5_000_000, abstain=0, no=0, no_with_veto=0)
    chain.run(vote(1, DAVE, NO))
    after = chain.gov.tally(chain.store, chain.proposal(1))  # type: ignore[arg-type]
    assert after.result == TallyResult(yes=STAKE, abstain=0, no=5_000_000, no_with_veto=0)
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.status == ProposalStatus.PASSED  # 10 of 15 said yes
    assert found.final_tally == Tally(STAKE, 0, 5_000_000, 0)
    assert chain.broken() == []


def test_a_delegator_of_a_silent_validator_votes_alone() -> None:
    chain = GovChain()
    chain.run(delegate(DAVE, BOB, 15_000_000))
    chain.end_block()
    chain.voting()
    chain.run(vote(1, DAVE, YES))  # 15 of 45 bonded: 0.333.. < 0.334, no quorum
    outcome = chain.gov.tally(chain.store, chain.proposal(1))  # type: ignore[arg-type]
    assert outcome.result == TallyResult(yes=15_000_000, abstain=0, no=0, no_with_veto=0)
    assert not outcome.passes
    chain.run(vote(1, CAROL, NO))
    outcome = chain.gov.tally(chain.store, chain.proposal(1))  # type: ignore[arg-type]
    assert outcome.passes and outcome.result.no == STAKE


def test_a_weighted_vote_splits_the_voters_power() -> None:
    chain = GovChain()
    chain.voting()
    chain.run(weighted(1, ALICE, (YES, "0.7"), (NO, "0.2"), (VETO, "0.1")))
    chain.run(vote(1, BOB, ABSTAIN))
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.final_tally == Tally(7_000_000, STAKE, 2_000_000, 1_000_000)
    assert found.status == ProposalStatus.PASSED  # 7 of the 10 that did not abstain
    assert chain.broken() == []


def test_votes_of_accounts_without_stake_count_nothing() -> None:
    chain = GovChain()
    chain.voting()
    chain.run(vote(1, DAVE, VETO))
    chain.run(vote(1, ALICE, YES))
    chain.run(vote(1, BOB, YES))
    chain.end_voting(1)
    found = chain.proposal(1)
    assert found is not None and found.final_tally == Tally(2 * STAKE, 0, 0, 0)
    assert found.status == ProposalStatus.PASSED
    assert raw(DAVE) not in [voter for voter, _ in chain.gov.votes(chain.store, 1)]
