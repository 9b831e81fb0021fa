"""A frame from a peer's consensus channel, or a message from the consensus gossip topic:
``decode_channel`` and ``decode_gossip``, then what the screen checks before the state
machine sees it (a vote's signer and signature; a part's proposal, index, size and Merkle
proof, and the block a one-part proposal makes) and the peer-state bookkeeping of a
``RoundStep`` or ``Has``.

Rejections: ``BadMessage``; failed checks (``InvalidVote``, ``BadPart``, ``BadBlock``)
are the sender's fault. Promise checked: whatever the gossip decoder accepts, the channel
decoder accepts as the same message."""

from __future__ import annotations

from consensus.codec import encode
from consensus.parts import split
from consensus.tendermint.messages import ProposalMsg
from consensus.tendermint.peer_state import PeerStates
from consensus.tendermint.wire import (
    BadMessage,
    Has,
    ProposalPart,
    RoundStep,
    decode_channel,
    decode_gossip,
    digest,
    gossip_payloads,
)
from consensus.types import VoteType
from tests.consensus.tendermint.support import make_block, signed_proposal, signed_vote
from tests.fuzz.support import check
from tests.fuzz.validators import KEYS, MAX_GOSSIP_BYTES, PROPOSER, VALIDATORS, judge, messages_at

HEIGHT = 4


def fuzz_one(data: bytes) -> None:
    try:
        message = decode_channel(data, MAX_GOSSIP_BYTES)
    except BadMessage:
        message = None
    try:
        gossip = decode_gossip(data, MAX_GOSSIP_BYTES)
    except BadMessage:
        gossip = None
    if gossip is not None:
        check(message == gossip, "a gossip message reads the same on a channel")
    if isinstance(message, RoundStep | Has):
        peers = PeerStates()
        peers.stepped("peer", HEIGHT, 0, 1, 0.0)
        if isinstance(message, RoundStep):
            peers.stepped("peer", message.height, message.round, message.step, 0.0)
        else:
            peers.has("peer", message.height, message.digests)
    elif message is not None:
        judge(message)


def seeds() -> dict[str, bytes]:
    proposal, prevote, nil_precommit = messages_at(HEIGHT)
    assert isinstance(proposal, ProposalMsg)
    big = make_block(HEIGHT, PROPOSER.address, [bytes(65_600)])  # a second part of a few hundred bytes
    two_parts = split(encode(big)).parts
    big_proposal = signed_proposal(PROPOSER, HEIGHT, 1, big).proposal
    precommit = signed_vote(KEYS[3], VALIDATORS, VoteType.PRECOMMIT, HEIGHT, 0, proposal.block)
    return {
        "proposal-part": gossip_payloads(proposal)[0],
        "prevote": gossip_payloads(prevote)[0],
        "nil-precommit": gossip_payloads(nil_precommit)[0],
        "precommit": gossip_payloads(precommit)[0],
        "part-1-of-2": encode(ProposalPart(big_proposal, two_parts[1])),
        "round-step": encode(RoundStep(HEIGHT, 1, 3)),
        "has": encode(Has(HEIGHT, [digest(prevote), digest(nil_precommit)])),
    }
