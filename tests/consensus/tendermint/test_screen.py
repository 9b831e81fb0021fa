"""consensus.tendermint.screen: verdicts on what peers send, and the blame that follows.

A follower's machine at height 1 with four validators of power 10; the screen reads
it and a real ``ProposalAssembly``, and records the reports it would make."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from consensus.privval import verify
from consensus.tendermint.assembly import ProposalAssembly
from consensus.tendermint.intake import IntakeLimits, JunkMeter
from consensus.tendermint.messages import VoteMsg
from consensus.tendermint.peer_state import PeerStates
from consensus.tendermint.screen import USELESS, Screen
from consensus.tendermint.state import Admission, RoundStateMachine, Verdict
from consensus.tendermint.wire import ProposalPart, RoundStep, received_digest, wrap
from consensus.types import Block, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    is_valid_block,
    make_block,
    signed_proposal,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(4)
VALIDATORS = validator_set(KEYS, [10, 10, 10, 10])
MAX_BLOCK_BYTES = 1 << 20
BURST = 3


@dataclass
class Screened:
    machine: RoundStateMachine
    parts: ProposalAssembly
    peers: PeerStates
    screen: Screen
    known: dict[int, ValidatorSet] = field(default_factory=dict)  # validators_at's heights
    reports: list[tuple[str, str]] = field(default_factory=list)


def screened() -> Screened:
    machine = RoundStateMachine(CHAIN_ID, None, _no_proposals, is_valid_block, verify, now=lambda: 0)
    machine.start(1, VALIDATORS)
    parts, peers = ProposalAssembly(), PeerStates()
    parts.start(1)
    known = {1: VALIDATORS, 2: VALIDATORS}
    reports: list[tuple[str, str]] = []
    screen = Screen(
        machine,
        parts,
        lambda height: known[height],
        CHAIN_ID,
        verify,
        lambda: MAX_BLOCK_BYTES,
        JunkMeter(IntakeLimits(junk_burst=BURST, junk_per_s=0.001)),
        peers,
        lambda peer, reason: reports.append((peer, reason)),
    )
    return Screened(machine, parts, peers, screen, known, reports)


def _no_proposals(height: int, round_: int) -> Block:
    raise AssertionError("a follower does not propose")


def vote(height: int, round_: int = 0) -> VoteMsg:
    return signed_vote(KEYS[0], VALIDATORS, VoteType.PREVOTE, height, round_, None, 1)


def forged(message: VoteMsg) -> VoteMsg:
    return VoteMsg(msgspec.structs.replace(message.vote, signature=bytes(64)))


def first_part(height: int) -> ProposalPart:
    proposer = next(key for key in KEYS if key.address == VALIDATORS.proposer().address)
    block = make_block(height, proposer.address, [b"tx"])
    part = wrap(signed_proposal(proposer, height, 0, block))[0]
    assert isinstance(part, ProposalPart)
    return part


async def test_a_new_vote_passes_and_its_sender_holds_it_while_the_machine_takes_nothing() -> None:
    s = screened()
    s.peers.stepped("p", 1, 0, 1, 0.0)
    message = vote(1)
    assert s.screen.passes("p", message)
    assert s.peers.holds("p", 1, received_digest(message))
    assert s.machine.messages() == []
    assert s.reports == []


async def test_invalid_votes_of_this_and_the_next_height_are_refused_and_reported() -> None:
    s = screened()
    assert not s.screen.passes("mallory", forged(vote(1)))
    assert not s.screen.passes("mallory", forged(vote(2)))
    bad = f"invalid consensus message: bad signature from {KEYS[0].address.hex()}"
    assert s.reports == [("mallory", bad), ("mallory", bad)]


async def test_the_next_heights_messages_are_ignored_until_its_validators_are_known() -> None:
    s = screened()
    assert s.screen.verdict(vote(2)) == Verdict(Admission.NEW)
    assert s.screen.verdict(first_part(2)) == Verdict(Admission.NEW)
    del s.known[2]
    assert s.screen.verdict(vote(2)).reason == "the next height's validators are not known yet"
    assert s.screen.verdict(vote(3)) == Verdict(Admission.IGNORED, "a message for height 3 at height 1")


async def test_parts_of_a_refused_proposal_are_ignored() -> None:
    s = screened()
    part = first_part(1)
    assert s.screen.verdict(part) == Verdict(Admission.NEW)
    s.parts.refuse(part.proposal)
    assert s.screen.verdict(part) == Verdict(Admission.IGNORED, "its proposal's parts make no block")


async def test_useless_gossip_is_charged_and_reported_past_the_budget() -> None:
    s = screened()
    stale = vote(3)
    assert [s.screen.passes("spammer", stale) for _ in range(BURST + 2)] == [False] * (BURST + 2)
    assert s.reports == [("spammer", USELESS)] * 2


async def test_votes_past_our_round_plus_one_are_refused_and_reported() -> None:
    """No peer following the reactor's rules sends one (it sends up to our round + 1)."""
    s = screened()
    assert s.screen.passes("p", vote(1, 1))  # round + 1: the next round, news
    far = [vote(1, round_) for round_ in range(2, 12)]
    assert [s.screen.passes("p", message) for message in far] == [False] * len(far)
    assert [peer for peer, _ in s.reports] == ["p"] * len(far)
    assert all("past our round + 1" in reason for _, reason in s.reports)


async def test_news_is_news_once() -> None:
    s = screened()
    step = RoundStep(1, 0, 1)
    assert s.screen.news("p", step)
    assert [s.screen.news("p", step) for _ in range(BURST + 1)] == [False] * (BURST + 1)
    assert s.reports == [("p", USELESS)]
