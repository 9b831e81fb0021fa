"""A small chain that the consensus targets judge peers' messages against: four validators,
three committed blocks, and the signed proposal and votes of height 4 (Ed25519 signatures
are deterministic, so the seeds are the same bytes every time).

``judge`` runs the checks the screen runs on a vote or a proposal part before the state
machine sees it (consensus/tendermint/screen.py): membership and signature, the part
against its proposal's part set and, for a one-part block, the block it completes."""

from __future__ import annotations

import contextlib

from consensus.parts import BadPart
from consensus.privval import verify
from consensus.tendermint.assembly import BadBlock, ProposalAssembly, check_part
from consensus.tendermint.messages import Message, Proposal
from consensus.tendermint.votes import InvalidVote, check_vote
from consensus.tendermint.wire import ProposalPart, Received, received_digest
from consensus.types import Block, Commit, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    make_block,
    signed_commit,
    signed_proposal,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(4)
VALIDATORS: ValidatorSet = validator_set(KEYS, [10, 10, 10, 10])
PROPOSER = KEYS[0]
MAX_GOSSIP_BYTES = 1 << 20
MAX_BLOCK_BYTES = 4 << 20


def chain(length: int = 3) -> list[tuple[Block, Commit]]:
    """Blocks 1..length, each with a commit signed by every validator."""
    committed = []
    for height in range(1, length + 1):
        block = make_block(height, PROPOSER.address, [f"tx {height}".encode(), b"x" * height])
        committed.append((block, signed_commit(KEYS, VALIDATORS, height, 0, block)))
    return committed


def messages_at(height: int) -> list[Message]:
    """A proposal, a prevote and a nil precommit for ``height``."""
    block = make_block(height, PROPOSER.address, [b"proposed tx"])
    return [
        signed_proposal(PROPOSER, height, 0, block),
        signed_vote(KEYS[1], VALIDATORS, VoteType.PREVOTE, height, 0, block),
        signed_vote(KEYS[2], VALIDATORS, VoteType.PRECOMMIT, height, 1, None),
    ]


def judge(received: Received) -> None:
    """The screen's checks; a message that fails them is the sender's fault, not a finding."""
    received_digest(received)
    if not isinstance(received, ProposalPart):
        with contextlib.suppress(InvalidVote):
            check_vote(CHAIN_ID, VALIDATORS, verify, received.vote)
        return
    if not is_signed(received.proposal) or check_part(received.proposal, received.part, MAX_BLOCK_BYTES):
        return
    with contextlib.suppress(BadPart, BadBlock):
        ProposalAssembly().add(received.proposal, received.part, MAX_BLOCK_BYTES)


def is_signed(proposal: Proposal) -> bool:
    """Whether a validator of the set signed ``proposal`` (whose turn it is is the machine's call)."""
    found = VALIDATORS.get(proposal.proposer_address)
    return found is not None and verify(found[1].pub_key, proposal.sign_bytes(CHAIN_ID), proposal.signature)
