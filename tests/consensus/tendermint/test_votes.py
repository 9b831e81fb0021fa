"""consensus.tendermint.votes: tallies, thresholds, equivocation and rejections."""

from __future__ import annotations

import msgspec
import pytest

from consensus.privval import verify
from consensus.tendermint.messages import DuplicateVoteEvidence, block_id
from consensus.tendermint.votes import (
    AddResult,
    HeightVoteSet,
    InvalidVote,
    VoteSet,
    is_one_third,
    is_two_thirds,
)
from consensus.types import ZERO_BLOCK_ID, Block, BlockID, PartSetHeader, Vote, VoteType
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    KeySigner,
    make_block,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [40, 30, 20, 10])  # total 100: +2/3 is 67, +1/3 is 34
BLOCK = make_block(1, KEYS[0].address, [b"tx"])
OTHER = make_block(1, KEYS[0].address, [b"other"])


def prevote(key: KeySigner, value: Block | BlockID | None = BLOCK, height: int = 1, round_: int = 0) -> Vote:
    return signed_vote(key, VALIDATORS, VoteType.PREVOTE, height, round_, value).vote


def prevote_set(round_: int = 0) -> VoteSet:
    return VoteSet(CHAIN_ID, 1, round_, VoteType.PREVOTE, VALIDATORS, verify)


def test_thresholds_are_strict() -> None:
    assert not is_two_thirds(2, 3) and is_two_thirds(3, 4) and is_two_thirds(67, 100)
    assert not is_two_thirds(66, 100)
    assert not is_one_third(1, 3) and is_one_third(34, 100) and not is_one_third(33, 100)


def test_tally_for_block_and_any() -> None:
    votes = prevote_set()
    assert votes.add(prevote(KEYS[0])).added  # 40 for BLOCK
    assert votes.add(prevote(KEYS[2], None)).added  # 20 nil
    assert votes.power_for(block_id(BLOCK)) == 40 and votes.power_for(ZERO_BLOCK_ID) == 20
    assert not votes.has_two_thirds_any() and votes.two_thirds_majority() is None
    assert votes.add(prevote(KEYS[3])).added  # 50 BLOCK, 70 any
    assert votes.has_two_thirds_any() and not votes.has_two_thirds_for(block_id(BLOCK))
    assert votes.add(prevote(KEYS[1])).added  # 80 BLOCK
    assert votes.has_two_thirds_for(block_id(BLOCK))
    assert votes.two_thirds_majority() == block_id(BLOCK)
    assert votes.power() == 100


def test_nil_majority() -> None:
    votes = prevote_set()
    for key in KEYS[:3]:
        votes.add(prevote(key, None))
    assert votes.two_thirds_majority() == ZERO_BLOCK_ID and votes.has_two_thirds_for(ZERO_BLOCK_ID)


def test_same_vote_twice_counts_once() -> None:
    votes = prevote_set()
    vote = prevote(KEYS[0])
    assert votes.add(vote).added
    assert votes.add(vote) == votes.add(vote) == AddResult(added=False)
    assert votes.power() == 40


def test_conflicting_vote_is_evidence_once_and_not_counted() -> None:
    votes = prevote_set()
    first, second, third = prevote(KEYS[1]), prevote(KEYS[1], OTHER), prevote(KEYS[1], None)
    votes.add(first)
    result = votes.add(second)
    assert not result.added and isinstance(result.evidence, DuplicateVoteEvidence)
    evidence = result.evidence
    assert {evidence.vote_a.block_id, evidence.vote_b.block_id} == {block_id(BLOCK), block_id(OTHER)}
    assert (evidence.validator_power, evidence.total_voting_power) == (30, 100)
    assert votes.add(third).evidence is None  # one piece of evidence per validator and step
    assert votes.power_for(block_id(OTHER)) == 0 and votes.get(KEYS[1].address) == first


def test_conflicting_vote_counts_for_a_block_others_chose_but_not_twice_for_any() -> None:
    """The paper counts messages per value: an equivocator's vote for a block someone
    else voted for first adds to that block's tally."""
    votes = prevote_set()
    votes.add(prevote(KEYS[0], OTHER))  # 40 OTHER
    votes.add(prevote(KEYS[1]))  # 30 BLOCK
    result = votes.add(prevote(KEYS[0]))  # the 40 also for BLOCK
    assert result.added and result.evidence is not None
    assert votes.power_for(block_id(BLOCK)) == 70 and votes.power_for(block_id(OTHER)) == 40
    assert votes.power() == 70 and votes.two_thirds_majority() == block_id(BLOCK)
    assert votes.vote_for(KEYS[0].address, block_id(BLOCK)) == prevote(KEYS[0])
    assert votes.get(KEYS[0].address) == prevote(KEYS[0], OTHER)
    assert len(votes.votes()) == 3
    assert not votes.add(prevote(KEYS[0])).added  # kept once


def test_evidence_has_one_form_whatever_the_order() -> None:
    one, two = prevote_set(), prevote_set()
    a, b = prevote(KEYS[1]), prevote(KEYS[1], OTHER)
    one.add(a)
    two.add(b)
    assert one.add(b).evidence == two.add(a).evidence


def test_same_block_other_timestamp_is_not_equivocation() -> None:
    votes = prevote_set()
    vote = prevote(KEYS[0])
    later = KEYS[0].sign_vote(CHAIN_ID, msgspec.structs.replace(vote, timestamp_ns=vote.timestamp_ns + 1))
    votes.add(vote)
    assert votes.add(later) == AddResult(added=False) and votes.power() == 40


def test_invalid_vote_from_non_validator() -> None:
    stranger = signers(1, seed=99)[0]
    with pytest.raises(InvalidVote, match="not a validator"):
        prevote_set().add(prevote(stranger))


def test_invalid_vote_bad_signature() -> None:
    forged = msgspec.structs.replace(prevote(KEYS[3]), validator_address=KEYS[0].address, validator_index=0)
    with pytest.raises(InvalidVote, match="bad signature"):
        prevote_set().add(forged)


def test_invalid_vote_wrong_index() -> None:
    vote = KEYS[0].sign_vote(CHAIN_ID, msgspec.structs.replace(prevote(KEYS[0]), validator_index=2))
    with pytest.raises(InvalidVote, match="index"):
        prevote_set().add(vote)


def test_invalid_vote_other_chain() -> None:
    vote = prevote(KEYS[0])
    other_chain = KeySigner.sign_vote(KEYS[0], "other-chain", vote)
    with pytest.raises(InvalidVote, match="bad signature"):
        prevote_set().add(other_chain)


@pytest.mark.parametrize(
    ("bad_id", "reason"),
    [
        (BlockID(b"", PartSetHeader(1, b"\x01" * 32)), "nil vote with a part set header"),
        (BlockID(b"\x01" * 31, PartSetHeader(1, b"\x01" * 32)), "malformed block id"),
        (BlockID(b"\x01" * 32, PartSetHeader(0, b"\x01" * 32)), "malformed block id"),
    ],
)
def test_invalid_vote_malformed_block_id(bad_id: BlockID, reason: str) -> None:
    with pytest.raises(InvalidVote, match=f"^{reason}$"):
        prevote_set().add(prevote(KEYS[0], bad_id))


def test_invalid_vote_wrong_round_or_type_for_the_set() -> None:
    with pytest.raises(InvalidVote, match=r"^vote for \(1, 0, .*\) in the set for \(1, 1, "):
        prevote_set(round_=1).add(prevote(KEYS[0]))
    precommit = signed_vote(KEYS[0], VALIDATORS, VoteType.PRECOMMIT, 1, 0, BLOCK).vote
    with pytest.raises(InvalidVote):
        prevote_set().add(precommit)


def test_height_vote_set_rejects_wrong_height_and_type() -> None:
    votes = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify)
    with pytest.raises(InvalidVote, match="height"):
        votes.add(prevote(KEYS[0], height=2))
    unknown = KEYS[0].sign_vote(CHAIN_ID, msgspec.structs.replace(prevote(KEYS[0]), type=7))
    with pytest.raises(InvalidVote, match="type"):
        votes.add(unknown)


def test_height_vote_set_routes_by_round_and_type() -> None:
    votes = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify)
    votes.add(prevote(KEYS[0], round_=2))
    votes.add(signed_vote(KEYS[1], VALIDATORS, VoteType.PRECOMMIT, 1, 2, None).vote)
    assert votes.prevotes(2).power() == 40 and votes.precommits(2).power() == 30
    assert votes.prevotes(0).power() == 0
    assert [v.validator_address for v in votes.votes()] == [KEYS[0].address, KEYS[1].address]


def test_one_third_any_counts_each_validator_once_across_types() -> None:
    votes = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify)
    votes.add(prevote(KEYS[2], round_=3))  # 20
    votes.add(signed_vote(KEYS[2], VALIDATORS, VoteType.PRECOMMIT, 1, 3, None).vote)  # still 20
    assert not votes.has_one_third_any(3)
    votes.add(prevote(KEYS[3], None, round_=3))  # 30
    assert not votes.has_one_third_any(3)
    votes.add(signed_vote(KEYS[1], VALIDATORS, VoteType.PRECOMMIT, 1, 3, OTHER).vote)  # 60
    assert votes.has_one_third_any(3) and not votes.has_one_third_any(2)


def test_has_vote_for() -> None:
    votes = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify)
    assert not votes.has_vote_for(0, block_id(OTHER))
    votes.add(signed_vote(KEYS[3], VALIDATORS, VoteType.PRECOMMIT, 1, 0, OTHER).vote)
    assert votes.has_vote_for(0, block_id(OTHER)) and not votes.has_vote_for(1, block_id(OTHER))


def test_power_of_and_vote_for() -> None:
    votes = prevote_set()
    votes.add(prevote(KEYS[0], OTHER))
    assert votes.power_of(KEYS[1].address) == 30
    assert votes.power_of(signers(1, seed=99)[0].address) == 0  # not a validator
    assert votes.vote_for(KEYS[0].address, block_id(OTHER)) == prevote(KEYS[0], OTHER)  # the first vote
    assert votes.vote_for(KEYS[0].address, block_id(BLOCK)) is None
    assert votes.vote_for(KEYS[1].address, block_id(OTHER)) is None


def test_would_count_foretells_add() -> None:
    # `would_count` answers, without changing anything, whether `add` would keep the vote
    # or find equivocation in it: each case of its docstring, in one history.
    votes = prevote_set()
    first = prevote(KEYS[0])
    resigned = KEYS[0].sign_vote(
        CHAIN_ID, msgspec.structs.replace(first, timestamp_ns=first.timestamp_ns + 1)
    )
    history = [
        (first, True),  # a new voter
        (first, False),  # kept already
        (resigned, False),  # the same choice signed again
        (prevote(KEYS[1], OTHER), True),
        (prevote(KEYS[0], OTHER), True),  # equivocation, for a block another chose first
        (prevote(KEYS[0], OTHER), False),  # that conflicting vote is kept already
        (prevote(KEYS[0], None), False),  # nobody chose nil first, and KEYS[0] is accused already
        (prevote(KEYS[1], None), True),  # nor for KEYS[1], but it is news: evidence
        (prevote(KEYS[2], None), True),
        (prevote(KEYS[0], None), True),  # nil is now a first choice: kept
    ]
    for step, (vote, expected) in enumerate(history):
        assert votes.would_count(vote) == expected, step
        result = votes.add(vote)
        assert (result.added or result.evidence is not None) == expected, step


def test_height_vote_set_would_count_by_round_and_type() -> None:
    votes = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify)
    vote = prevote(KEYS[0], round_=2)
    assert votes.would_count(vote)
    votes.add(vote)
    assert not votes.would_count(vote)
    assert votes.would_count(signed_vote(KEYS[0], VALIDATORS, VoteType.PRECOMMIT, 1, 2, BLOCK).vote)
    assert votes.would_count(prevote(KEYS[0], round_=3))


def test_height_vote_set_keeps_every_vote_of_a_set() -> None:
    votes = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify)
    votes.add(prevote(KEYS[0]))
    votes.add(prevote(KEYS[1], None))
    assert votes.prevotes(0).power() == 70 and len(votes.votes()) == 2


def test_height_vote_set_empty_set_describes_its_round_and_type() -> None:
    empty = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify).precommits(5)
    assert (empty.height, empty.round, empty.vote_type, empty.power()) == (1, 5, VoteType.PRECOMMIT, 0)
    assert empty.add(signed_vote(KEYS[0], VALIDATORS, VoteType.PRECOMMIT, 1, 5, BLOCK).vote).added


def test_rounds_of_and_one_third_any_per_round() -> None:
    # A validator's votes count towards f + 1 in every round it voted in, once per round.
    votes = HeightVoteSet(CHAIN_ID, 1, VALIDATORS, verify)
    votes.add(prevote(KEYS[0], round_=0))
    votes.add(prevote(KEYS[0], round_=2))
    votes.add(signed_vote(KEYS[0], VALIDATORS, VoteType.PRECOMMIT, 1, 2, BLOCK).vote)
    assert votes.rounds_of(KEYS[0].address) == {0, 2} and votes.rounds_of(KEYS[1].address) == set()
    assert votes.has_one_third_any(0) and votes.has_one_third_any(2) and not votes.has_one_third_any(1)


def test_small_powers_count_from_zero() -> None:
    # With powers of 1, one vote is the least there is: f + 1 of three needs two voters,
    # a round nobody voted in has no power, and one vote is a vote for its block.
    keys = KEYS[:3]
    ones = validator_set(keys, [1, 1, 1])
    votes = HeightVoteSet(CHAIN_ID, 1, ones, verify)
    assert not votes.has_one_third_any(0)
    votes.add(signed_vote(keys[0], ones, VoteType.PREVOTE, 1, 0, BLOCK).vote)
    assert not votes.has_one_third_any(0)
    assert votes.has_vote_for(0, block_id(BLOCK)) and not votes.has_vote_for(0, block_id(OTHER))
    votes.add(signed_vote(keys[1], ones, VoteType.PREVOTE, 1, 0, None).vote)
    assert votes.has_one_third_any(0)
    pair = validator_set(keys[:2], [1, 1])
    assert not HeightVoteSet(CHAIN_ID, 1, pair, verify).has_one_third_any(0)
