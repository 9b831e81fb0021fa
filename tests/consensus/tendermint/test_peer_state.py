"""Peers' round states as their own messages and sync requests show them."""

from __future__ import annotations

from consensus.codec import encode
from consensus.parts import split
from consensus.tendermint.messages import Step, VoteMsg
from consensus.tendermint.peer_state import PeerRoundState, PeerStates
from consensus.tendermint.wire import ProposalPart
from consensus.types import VoteType
from tests.consensus.tendermint.support import (
    make_block,
    signed_proposal,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [10] * 4)


def vote(vote_type: VoteType, height: int, round_: int) -> VoteMsg:
    return signed_vote(KEYS[1], VALIDATORS, vote_type, height, round_, None, 1)


def test_a_peer_moves_forward_only() -> None:
    states = PeerStates()
    states.signed("p", vote(VoteType.PREVOTE, 5, 1), 1.0)
    assert states.get("p") == PeerRoundState(5, 1, Step.PREVOTE, -1, 1.0)
    states.signed("p", vote(VoteType.PRECOMMIT, 5, 1), 2.0)
    assert states.get("p") == PeerRoundState(5, 1, Step.PRECOMMIT, -1, 2.0)
    states.signed("p", vote(VoteType.PREVOTE, 5, 0), 3.0)  # an older message, arriving late
    assert states.get("p") == PeerRoundState(5, 1, Step.PRECOMMIT, -1, 3.0)
    block = make_block(6, KEYS[1].address)
    proposal = signed_proposal(KEYS[1], 6, 0, block)
    states.signed("p", ProposalPart(proposal.proposal, split(encode(block)).parts[0]), 4.0)
    assert states.get("p") == PeerRoundState(6, 0, Step.PROPOSE, -1, 4.0)


def test_sync_requests_say_the_height_and_how_much_it_holds() -> None:
    states = PeerStates()
    states.asked("p", 7, 12, 1.0)
    assert states.get("p") == PeerRoundState(7, -1, 0, 12, 1.0)
    states.signed("p", vote(VoteType.PREVOTE, 7, 0), 2.0)
    assert states.get("p") == PeerRoundState(7, 0, Step.PREVOTE, 12, 2.0)
    states.asked("p", 7, 15, 3.0)
    assert states.get("p") == PeerRoundState(7, 0, Step.PREVOTE, 15, 3.0)
    states.asked("p", 6, 0, 4.0)  # a request from before, answered late: no step back
    assert states.get("p") == PeerRoundState(7, 0, Step.PREVOTE, 15, 4.0)
    states.signed("p", vote(VoteType.PREVOTE, 8, 0), 5.0)
    assert states.get("p") == PeerRoundState(8, 0, Step.PREVOTE, -1, 5.0)


def test_only_the_peers_heard_from_last_are_kept() -> None:
    states = PeerStates(tracked=2)
    for peer in ("a", "b", "c"):
        states.asked(peer, 1, 0, 0.0)
    assert states.get("a") is None
    assert states.get("b") is not None and states.get("c") is not None
