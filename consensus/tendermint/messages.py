"""What the round state machine takes in and gives out.

Inputs are a new height, proposals (with their block), votes and timeouts;
outputs are messages to broadcast, timeouts to schedule, decisions and
evidence of equivocation. Prevotes and precommits are ``consensus.types.Vote``;
a nil vote names ``ZERO_BLOCK_ID``. Proposals and votes are signed over their
canonical encoding with the chain id, so a signature cannot be replayed on
another chain or as another kind of message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Protocol

import msgspec

from consensus.codec import Canonical, encode
from consensus.parts import part_set_header
from consensus.types import Block, BlockID, Commit, Int64, Uint64, Vote, block_id_of
from consensus.validators import ValidatorSet

PROPOSAL_TYPE = 32  # CometBFT's SignedMsgType for proposals (prevote 1, precommit 2)
NO_ROUND = -1  # the paper's -1: no POL round, no locked or valid round

PolRound = Annotated[int, msgspec.Meta(ge=NO_ROUND, le=2**63 - 1)]

Verify = Callable[[bytes, bytes, bytes], bool]
"""``verify(pub_key, message, signature)``; ``consensus.privval.verify`` for ed25519."""


class Step(IntEnum):
    """The round steps; the numbers match ``consensus.privval``'s STEP_* so a signer can use them."""

    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3


class CanonicalProposal(Canonical, frozen=True):
    """What a proposer signs: never the proposal's own signature or proposer fields."""

    type: int
    height: Uint64
    round: Uint64
    pol_round: PolRound
    block_id: BlockID
    timestamp_ns: Int64
    chain_id: str


class Proposal(Canonical, frozen=True):
    """⟨PROPOSAL, h, round, id(v), validRound⟩; ``pol_round`` is the paper's ``vr`` (-1: none)."""

    height: Uint64
    round: Uint64
    pol_round: PolRound
    block_id: BlockID
    timestamp_ns: Int64
    proposer_address: bytes
    signature: bytes

    def sign_bytes(self, chain_id: str) -> bytes:
        return proposal_sign_bytes(
            chain_id, self.height, self.round, self.pol_round, self.block_id, self.timestamp_ns
        )


def proposal_sign_bytes(
    chain_id: str, height: int, round_: int, pol_round: int, block_id: BlockID, timestamp_ns: int
) -> bytes:
    return encode(
        CanonicalProposal(PROPOSAL_TYPE, height, round_, pol_round, block_id, timestamp_ns, chain_id)
    )


def block_id(block: Block) -> BlockID:
    """``id(v)`` in the paper: the header hash and the block's 64 KiB parts (their number and
    Merkle root, ``consensus.parts``), as CometBFT names a block.

    The same id the single-validator engine commits, so commits look alike."""
    return block_id_of(block, part_set_header(encode(block)))


class DuplicateVoteEvidence(Canonical, frozen=True):
    """Two votes by one validator for different blocks at the same (height, round, type).

    ``vote_a`` names the block id that encodes first, so a pair has one form."""

    vote_a: Vote
    vote_b: Vote
    validator_power: Uint64
    total_voting_power: Uint64


def duplicate_vote_evidence(
    first: Vote, second: Vote, validator_power: int, total_voting_power: int
) -> DuplicateVoteEvidence:
    vote_a, vote_b = sorted((first, second), key=lambda vote: encode(vote.block_id))
    return DuplicateVoteEvidence(vote_a, vote_b, validator_power, total_voting_power)


class Signer(Protocol):
    """The validator's key. Returns signed copies; the real one wraps ``FilePV``, whose
    double-sign guard may refuse with ``consensus.privval.DoubleSignError``."""

    @property
    def address(self) -> bytes: ...

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote: ...

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal: ...


# ---- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartHeight:
    """Start ``height`` at round 0 with the validator set that decides it."""

    height: int
    validators: ValidatorSet


class ProposalMsg(Canonical, frozen=True):
    """A signed proposal with the block it names."""

    proposal: Proposal
    block: Block


class VoteMsg(Canonical, frozen=True):
    """A signed prevote or precommit."""

    vote: Vote


class TimeoutEvent(Canonical, frozen=True):
    """A timeout scheduled by ``ScheduleTimeout`` has expired."""

    step: int
    height: Uint64
    round: Uint64


Message = ProposalMsg | VoteMsg
Input = StartHeight | ProposalMsg | VoteMsg | TimeoutEvent


# ---- outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broadcast:
    """Send this message to every peer (the machine has already counted it itself)."""

    message: Message


@dataclass(frozen=True)
class ScheduleTimeout:
    """Feed ``event()`` back to the machine after ``duration_s`` seconds."""

    step: Step
    height: int
    round: int
    duration_s: float

    def event(self) -> TimeoutEvent:
        return TimeoutEvent(self.step, self.height, self.round)


@dataclass(frozen=True)
class Decide:
    """+2/3 precommits for ``block`` in ``round``: the height is decided.

    ``commit`` holds the precommits counted so far, in validator-set order. Until the
    driver calls ``start(height + 1)`` the machine then takes only precommits of
    ``round``, for the next height's ``last_commit``."""

    height: int
    round: int
    block: Block
    commit: Commit


@dataclass(frozen=True)
class Evidence:
    """A validator signed two different votes for the same (height, round, type)."""

    evidence: DuplicateVoteEvidence


Output = Broadcast | ScheduleTimeout | Decide | Evidence
