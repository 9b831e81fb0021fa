"""A peer's answer to our block sync request: ``decode_response``, then each committed
block's commit verified against the validator set (``verify_commit``, as the owner does
before it applies a synced block) and each vote or part judged as gossip is.

Rejections: ``BadMessage``; ``InvalidCommit`` and failed gossip checks are the peer's fault."""

from __future__ import annotations

import contextlib

from consensus.codec import encode
from consensus.commit import InvalidCommit, verify_commit
from consensus.tendermint.messages import block_id
from consensus.tendermint.wire import (
    MAX_SYNC_RESPONSE_BYTES,
    BadMessage,
    CommittedBlock,
    SyncResponse,
    decode_response,
    received_of,
    wrap,
)
from tests.consensus.tendermint.support import CHAIN_ID
from tests.fuzz.validators import VALIDATORS, chain, judge, messages_at


def fuzz_one(data: bytes) -> None:
    try:
        response = decode_response(data, MAX_SYNC_RESPONSE_BYTES)
    except BadMessage:
        return
    for entry in response.blocks:
        with contextlib.suppress(InvalidCommit):
            verify_commit(CHAIN_ID, VALIDATORS, entry.commit, block_id(entry.block))
    for gossip in response.messages:
        judge(received_of(gossip))


def seeds() -> dict[str, bytes]:
    committed = [CommittedBlock(block, commit) for block, commit in chain()]
    gossip = [g for message in messages_at(4) for g in wrap(message)]
    return {
        "two-blocks": encode(SyncResponse(3, committed[:2], [])),
        "one-block": encode(SyncResponse(3, committed[2:], [])),
        "messages": encode(SyncResponse(3, [], gossip)),
        "nothing": encode(SyncResponse(3, [], [])),
    }
