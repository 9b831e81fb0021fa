"""What validators send each other, byte for byte.

Gossip on the consensus topic carries one ``Gossip`` value: a proposal with
its block, or a vote. Catch-up is a direct request/response: a node sends a
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

from consensus.codec import Canonical, CodecError, decode, encode
from consensus.tendermint.messages import Message, ProposalMsg, VoteMsg
from consensus.types import Block, Commit, Uint64

SYNC_PROTOCOL = "/depind/consensus/sync/1"
DIGEST_BYTES = 8
MAX_HAVE = 16_384  # digests in one request: far above the messages of one height

Digest = Annotated[bytes, msgspec.Meta(min_length=DIGEST_BYTES, max_length=DIGEST_BYTES)]


class BadMessage(ValueError):
    """Bytes from a peer that are not a well-formed message; the peer is to blame."""


class ProposalGossip(Canonical, frozen=True, tag=1):
    message: ProposalMsg


class VoteGossip(Canonical, frozen=True, tag=2):
    message: VoteMsg


Gossip = ProposalGossip | VoteGossip


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


def wrap(message: Message) -> Gossip:
    return ProposalGossip(message) if isinstance(message, ProposalMsg) else VoteGossip(message)


def encode_gossip(message: Message) -> bytes:
    return encode(wrap(message))


def decode_gossip(data: bytes, max_bytes: int) -> Message:
    gossip: Gossip = _decode(data, Gossip, max_bytes)
    return gossip.message


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


def _decode(data: bytes, type_: Any, max_bytes: int) -> Any:
    try:
        return decode(data, type_, max_bytes)
    except CodecError as exc:
        raise BadMessage(str(exc)) from None
