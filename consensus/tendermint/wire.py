"""What validators send each other, byte for byte.

Each peer's consensus channel (a long-lived stream, ``CHANNEL_PROTOCOL``)
carries ``ChannelMessage`` frames: where the sender is (``RoundStep``), what it
has received (``Has``), or a ``Gossip`` value: a vote, or one 64 KiB part of a
proposal's block with the signed proposal beside it (CometBFT's block parts,
``consensus/parts.py``), so that any block up to ``block.max_bytes`` travels
whatever the message limit, and every part can be checked on arrival, in any
order, from the proposal it comes with. Catch-up is a direct request/response: a node sends a
peer ``SyncRequest`` (the first height it lacks, and digests of the messages
it holds for it); a peer that has committed that height answers with the
committed blocks from there on, each with its commit (block sync), and a peer
deciding the same height answers with the proposals and votes the requester
lacks. Both use the canonical encoding (docs/encoding.md): tagged MessagePack
arrays, strictly decoded, so a malformed message is rejected, never guessed at.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec

from consensus.codec import MAX_DECODE_BYTES, Canonical, CodecError, decode, encode
from consensus.parts import Part, split
from consensus.tendermint.messages import Message, Proposal, ProposalMsg, VoteMsg
from consensus.types import Block, Commit, Uint64

SYNC_PROTOCOL = "/depind/consensus/sync/1"
CHANNEL_PROTOCOL = "/depind/consensus/channel/1"
DIGEST_BYTES = 8
MAX_HAVE = 16_384  # digests in one request: far above the messages of one height
MAX_SYNC_RESPONSE_BYTES = MAX_DECODE_BYTES
"""A sync answer can hold a block of any size the chain allows (the limit on gossip
messages is a local setting): one block per answer when blocks are that large."""

Digest = Annotated[bytes, msgspec.Meta(min_length=DIGEST_BYTES, max_length=DIGEST_BYTES)]


class BadMessage(ValueError):
    """Bytes from a peer that are not a well-formed message; the peer is to blame."""


class ProposalPart(Canonical, frozen=True, tag=1):
    """Part ``part.index`` of the block that ``proposal`` names."""

    proposal: Proposal
    part: Part


class VoteGossip(Canonical, frozen=True, tag=2):
    message: VoteMsg


Gossip = ProposalPart | VoteGossip
Received = ProposalPart | VoteMsg
"""What a gossip message holds: a proposal's part, or a vote."""

DECIDED_STEP = 4
"""A ``RoundStep.step`` past precommit: the height is decided and its commit wait runs
(CometBFT's RoundStepCommit)."""
MAX_ANNOUNCED = 1024  # digests in one ``Has``
KEEPALIVE_S = 2.0
"""A node sends a peer its ``RoundStep`` again after this long without a frame to it."""
SILENCE_S = 10 * KEEPALIVE_S
"""A peer that sends no frame for this long has a dead or wedged connection."""


class RoundStep(Canonical, frozen=True, tag=5):
    """Where the sender is: sent to each peer when it changes (CometBFT's NewRoundStep)."""

    height: Uint64
    round: Uint64
    step: Annotated[int, msgspec.Meta(ge=1, le=DECIDED_STEP)]


class Has(Canonical, frozen=True, tag=6):
    """Votes and parts of ``height`` the sender has received, by their digests, so that
    its peers do not send them again (CometBFT's HasVote and HasProposalBlockPart)."""

    height: Uint64
    digests: Annotated[list[Digest], msgspec.Meta(min_length=1, max_length=MAX_ANNOUNCED)]


ChannelMessage = ProposalPart | VoteGossip | RoundStep | Has
"""A frame on a peer's consensus channel: what it holds and where it is, or a message."""


class CommittedBlock(Canonical, frozen=True):
    """A block and the commit that decided it."""

    block: Block
    commit: Commit


class SyncRequest(Canonical, frozen=True, tag=3):
    height: Uint64
    have: Annotated[list[Digest], msgspec.Meta(max_length=MAX_HAVE)]


class SyncResponse(Canonical, frozen=True, tag=4):
    """``height``: the responder's last committed height (how far there is to go)."""

    height: Uint64
    blocks: list[CommittedBlock]
    messages: list[Gossip]


def wrap(message: Message) -> list[Gossip]:
    """A vote as one gossip value; a proposal as its block's parts."""
    if isinstance(message, VoteMsg):
        return [VoteGossip(message)]
    return [ProposalPart(message.proposal, part) for part in split(encode(message.block)).parts]


def encode_gossip(message: Received) -> bytes:
    return encode(VoteGossip(message) if isinstance(message, VoteMsg) else message)


def gossip_payloads(message: Message) -> list[bytes]:
    """What goes on the consensus topic for ``message``: one payload per part of a proposal."""
    return [encode(gossip) for gossip in wrap(message)]


def decode_gossip(data: bytes, max_bytes: int) -> Received:
    gossip: Gossip = _decode(data, Gossip, max_bytes)
    return received_of(gossip)


def decode_channel(data: bytes, max_bytes: int) -> Received | RoundStep | Has:
    message: ChannelMessage = _decode(data, ChannelMessage, max_bytes)
    return message if isinstance(message, RoundStep | Has) else received_of(message)


def decode_request(data: bytes, max_bytes: int) -> SyncRequest:
    request: SyncRequest = _decode(data, SyncRequest, max_bytes)
    return request


def decode_response(data: bytes, max_bytes: int) -> SyncResponse:
    response: SyncResponse = _decode(data, SyncResponse, max_bytes)
    return response


def digest(message: Message) -> bytes:
    """A short id of a proposal or vote; a proposal's id covers its signed fields, which
    name the block, so the (large) block itself is not hashed again."""
    signed = (
        b"P" + encode(message.proposal) if isinstance(message, ProposalMsg) else b"V" + encode(message.vote)
    )
    return hashlib.sha256(signed).digest()[:DIGEST_BYTES]


def received_of(gossip: Gossip) -> Received:
    return gossip.message if isinstance(gossip, VoteGossip) else gossip


def received_digest(received: Received) -> bytes:
    if isinstance(received, VoteMsg):
        return digest(received)
    return part_digest(received.proposal, received.part.index)


def part_digest(proposal: Proposal, index: int) -> bytes:
    """A short id of one part of a proposal's block (the proof makes the part's bytes
    follow from the proposal's part set hash and the index)."""
    return hashlib.sha256(b"B" + encode(proposal) + index.to_bytes(8, "big")).digest()[:DIGEST_BYTES]


def _decode(data: bytes, type_: Any, max_bytes: int) -> Any:
    try:
        return decode(data, type_, max_bytes)
    except CodecError as exc:
        raise BadMessage(str(exc)) from None
