"""consensus.tendermint.messages: sign bytes, ids, evidence form and the wire encoding."""

from __future__ import annotations

import msgspec
import pytest

from consensus import privval
from consensus.codec import CodecError, decode, encode
from consensus.merkle import leaf_hash, merkle_root
from consensus.parts import PART_SIZE
from consensus.tendermint.messages import (
    PROPOSAL_TYPE,
    CanonicalProposal,
    DuplicateVoteEvidence,
    Proposal,
    ProposalMsg,
    ScheduleTimeout,
    Step,
    TimeoutEvent,
    VoteMsg,
    block_id,
    duplicate_vote_evidence,
)
from consensus.types import BlockID, PartSetHeader, VoteType
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    make_block,
    signed_proposal,
    signed_vote,
    signers,
    validator_set,
)

KEY = signers(1)[0]
BLOCK = make_block(3, KEY.address, [b"tx"])


def test_block_id_of_a_small_block_is_its_header_hash_and_one_part() -> None:
    expected = BlockID(BLOCK.hash(), PartSetHeader(1, leaf_hash(encode(BLOCK))))
    assert block_id(BLOCK) == expected


def test_block_id_names_the_64_kib_parts_by_their_merkle_root() -> None:
    """CometBFT's PartSetHeader: the number of parts and the RFC 6962 root over their bytes."""
    block = make_block(3, KEY.address, [bytes([n]) * 50_000 for n in range(4)])
    data = encode(block)
    chunks = [data[start : start + PART_SIZE] for start in range(0, len(data), PART_SIZE)]
    assert len(chunks) == 4 and len(chunks[-1]) < PART_SIZE
    assert block_id(block) == BlockID(block.hash(), PartSetHeader(4, merkle_root(chunks)))


def test_proposal_sign_bytes_are_the_canonical_proposal() -> None:
    proposal = signed_proposal(KEY, 3, 2, BLOCK, pol_round=1).proposal
    expected = CanonicalProposal(PROPOSAL_TYPE, 3, 2, 1, block_id(BLOCK), BLOCK.header.time_ns, CHAIN_ID)
    assert proposal.sign_bytes(CHAIN_ID) == encode(expected)
    assert privval.verify(KEY.pub_key, proposal.sign_bytes(CHAIN_ID), proposal.signature)


def test_proposal_sign_bytes_leave_out_signature_and_proposer() -> None:
    proposal = signed_proposal(KEY, 3, 0, BLOCK).proposal
    other = msgspec.structs.replace(proposal, signature=b"x", proposer_address=b"y")
    assert other.sign_bytes(CHAIN_ID) == proposal.sign_bytes(CHAIN_ID)


@pytest.mark.parametrize(
    "change",
    [
        {"pol_round": 0},
        {"round": 1},
        {"height": 4},
        {"timestamp_ns": 1},
        {"block_id": BlockID(b"", PartSetHeader(0, b""))},
    ],
)
def test_proposal_sign_bytes_cover_every_signed_field(change: dict[str, object]) -> None:
    proposal = signed_proposal(KEY, 3, 2, BLOCK, pol_round=-1).proposal
    assert msgspec.structs.replace(proposal, **change).sign_bytes(CHAIN_ID) != proposal.sign_bytes(CHAIN_ID)
    assert proposal.sign_bytes("other-chain") != proposal.sign_bytes(CHAIN_ID)


def test_proposal_and_vote_sign_bytes_differ() -> None:
    """A signature over one kind of message is never valid for another."""
    validators = validator_set([KEY], [1])
    vote = signed_vote(KEY, validators, VoteType.PREVOTE, 3, 0, BLOCK).vote
    proposal = signed_proposal(KEY, 3, 0, BLOCK).proposal
    assert vote.sign_bytes(CHAIN_ID) != proposal.sign_bytes(CHAIN_ID)


def test_messages_round_trip_through_the_canonical_encoding() -> None:
    validators = validator_set([KEY], [1])
    vote = signed_vote(KEY, validators, VoteType.PRECOMMIT, 3, 0, BLOCK).vote
    other = signed_vote(KEY, validators, VoteType.PRECOMMIT, 3, 0, None).vote
    for value in (
        signed_proposal(KEY, 3, 1, BLOCK, pol_round=0),
        VoteMsg(vote),
        TimeoutEvent(Step.PREVOTE, 3, 1),
        duplicate_vote_evidence(vote, other, 1, 1),
    ):
        assert decode(encode(value), type(value)) == value


def test_invalid_pol_round_below_minus_one_is_rejected_on_decode() -> None:
    proposal = Proposal(3, 1, -2, block_id(BLOCK), 0, KEY.address, b"")
    with pytest.raises(CodecError):
        decode(encode(ProposalMsg(proposal, BLOCK)), ProposalMsg)


def test_evidence_orders_its_votes() -> None:
    validators = validator_set([KEY], [1])
    one = signed_vote(KEY, validators, VoteType.PREVOTE, 3, 0, BLOCK).vote
    two = signed_vote(KEY, validators, VoteType.PREVOTE, 3, 0, None).vote
    evidence = duplicate_vote_evidence(one, two, 5, 15)
    assert evidence == duplicate_vote_evidence(two, one, 5, 15)
    assert encode(evidence.vote_a.block_id) < encode(evidence.vote_b.block_id)
    assert isinstance(evidence, DuplicateVoteEvidence)


def test_steps_match_the_signing_guard() -> None:
    assert (Step.PROPOSE, Step.PREVOTE, Step.PRECOMMIT) == (
        privval.STEP_PROPOSE,
        privval.STEP_PREVOTE,
        privval.STEP_PRECOMMIT,
    )


def test_schedule_timeout_names_its_event() -> None:
    assert ScheduleTimeout(Step.PRECOMMIT, 3, 2, 1.0).event() == TimeoutEvent(Step.PRECOMMIT, 3, 2)
