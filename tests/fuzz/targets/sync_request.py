"""A peer's block sync request, as ``SyncServer.answer`` takes it: decoded, then answered
from a chain of three committed blocks (block sync) or with the proposal and votes of
height 4 that the peer lacks.

Rejection: ``BadMessage``. Promise checked: every answer is a well-formed response."""

from __future__ import annotations

import trio

from consensus.codec import encode
from consensus.tendermint.messages import Message
from consensus.tendermint.sync_server import SyncServer, SyncServerLimits
from consensus.tendermint.wire import (
    MAX_SYNC_RESPONSE_BYTES,
    BadMessage,
    SyncRequest,
    decode_response,
    digest,
)
from consensus.types import Block, Commit
from tests.fuzz.support import check
from tests.fuzz.validators import chain, messages_at

CHAIN = chain()
DECIDING = len(CHAIN) + 1
LIMITS = SyncServerLimits(answers_per_s=1.0, burst=1)  # each input gets a new server and its one answer


class Blocks:
    """The committed blocks, as the block store serves them."""

    def height(self) -> int:
        return len(CHAIN)

    def load_block(self, height: int) -> Block | None:
        return CHAIN[height - 1][0] if 1 <= height <= len(CHAIN) else None

    def load_commit(self, height: int) -> Commit | None:
        return CHAIN[height - 1][1] if 1 <= height <= len(CHAIN) else None


def held(height: int) -> list[Message]:
    """The proposal and votes held for the height being decided."""
    return messages_at(height) if height == DECIDING else []


def fuzz_one(data: bytes) -> None:
    server = SyncServer(Blocks(), held, LIMITS)
    try:
        answer = trio.run(server.answer, "peer", data)
    except BadMessage:
        return
    try:
        decode_response(answer, MAX_SYNC_RESPONSE_BYTES)
    except BadMessage as error:
        check(False, f"a sync answer decodes: {error}")


def seeds() -> dict[str, bytes]:
    proposal, prevote, _ = messages_at(DECIDING)
    return {
        "from-genesis": encode(SyncRequest(1, [])),
        "from-height-3": encode(SyncRequest(3, [])),
        "deciding-holds-two": encode(SyncRequest(DECIDING, [digest(proposal), digest(prevote)])),
        "ahead": encode(SyncRequest(DECIDING + 5, [])),
    }
