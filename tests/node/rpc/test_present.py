"""node.rpc.present: CometBFT's text forms of votes and vote bit arrays."""

from __future__ import annotations

from consensus.types import ZERO_BLOCK_ID, BlockID, PartSetHeader, Vote, VoteType
from consensus.validators import ValidatorSet
from node.rpc.present import vote_bit_array, vote_text

ADDRESS = bytes(range(1, 21))
BLOCK = BlockID(bytes([0xAB]) * 32, PartSetHeader(1, bytes(32)))


def make_vote(vote_type: VoteType, block_id: BlockID, time_ns: int) -> Vote:
    return Vote(vote_type, 7, 2, block_id, time_ns, ADDRESS, 3, bytes([0xCD]) * 64)


def test_vote_text_for_a_block() -> None:
    vote = make_vote(VoteType.PREVOTE, BLOCK, 1_500_000_000)
    assert vote_text(vote) == (
        "Vote{3:010203040506 7/02/SIGNED_MSG_TYPE_PREVOTE(Prevote) ABABABABABAB CDCDCDCDCDCD"
        " @ 1970-01-01T00:00:01.500000000Z}"
    )


def test_vote_text_for_nil_pads_the_empty_hash() -> None:
    vote = make_vote(VoteType.PRECOMMIT, ZERO_BLOCK_ID, 0)
    assert " 7/02/SIGNED_MSG_TYPE_PRECOMMIT(Precommit) 000000000000 " in vote_text(vote)


def test_vote_text_of_a_validator_that_has_not_voted() -> None:
    assert vote_text(None) == "nil-Vote"


def test_vote_bit_array_counts_power() -> None:
    validators = ValidatorSet.from_keys([(bytes([1]) * 32, 30), (bytes([2]) * 32, 20), (bytes([3]) * 32, 10)])
    voted = make_vote(VoteType.PREVOTE, BLOCK, 0)
    assert vote_bit_array([voted, None, voted], validators) == "BA{3:x_x} 40/60 = 0.67"
    assert vote_bit_array([None, None, None], validators) == "BA{3:___} 0/60 = 0.00"
