"""Answers to peers' catch-up requests, within limits a peer cannot push past.

A ``SyncRequest`` names the first height the peer lacks and the messages it holds
for it. A peer behind us gets committed blocks with their commits (block sync);
a peer at our height gets the proposals and votes it lacks. Each peer gets
``answers_per_s`` answers a second (a burst of ``burst``), one at a time; at most
``concurrent`` answers read blocks at once, over all peers; and reading yields to
the event loop after each block, so serving a catch-up never stalls consensus.
A request over its peer's allowance gets an empty answer: it costs us a decode and
the requester tries again later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import trio

from consensus.codec import encode
from consensus.tendermint.intake import TokenBuckets
from consensus.tendermint.messages import Message
from consensus.tendermint.wire import (
    CommittedBlock,
    Gossip,
    SyncRequest,
    SyncResponse,
    decode_request,
    digest,
    received_digest,
    received_of,
    wrap,
)
from consensus.types import Block, Commit


class BlockSource(Protocol):
    def height(self) -> int: ...

    def load_block(self, height: int) -> Block | None: ...

    def load_commit(self, height: int) -> Commit | None: ...


@dataclass(frozen=True)
class SyncServerLimits:
    max_bytes: int = 4 * 1024 * 1024  # an answer fills at most half of this
    max_blocks: int = 100  # blocks in one answer
    answers_per_s: float = 20.0
    burst: int = 40
    concurrent: int = 2


class SyncServer:
    def __init__(
        self,
        store: BlockSource,
        messages_at: Callable[[int], list[Message]],
        limits: SyncServerLimits,
        observe: Callable[[str, SyncRequest], None] = lambda peer, request: None,
    ) -> None:
        """``messages_at(height)``: the proposals and votes held for ``height`` if we are
        deciding it, else none; ``observe(peer, request)``: told of every well-formed request
        (what the peer lacks is news of its progress)."""
        self._store = store
        self._observe = observe
        self._messages_at = messages_at
        self._limits = limits
        self._allowance = TokenBuckets(limits.burst, limits.answers_per_s)
        self._readers = trio.CapacityLimiter(limits.concurrent)
        self._serving: set[str] = set()
        self.refused = 0  # requests answered empty for being over a limit

    async def answer(self, peer: str, payload: bytes) -> bytes:
        """The answer to ``peer``'s request; raises ``wire.BadMessage`` for a malformed one."""
        request = decode_request(payload, self._limits.max_bytes)
        self._observe(peer, request)
        stored = self._store.height()
        if peer in self._serving or not self._allowance.take(peer, trio.current_time()):
            self.refused += 1
            return encode(SyncResponse(stored, [], []))
        self._serving.add(peer)
        try:
            if request.height <= stored:
                async with self._readers:
                    blocks = await self._committed_from(request.height, stored)
                return encode(SyncResponse(stored, blocks, []))
            return encode(SyncResponse(stored, [], self._lacking(request)))
        finally:
            self._serving.discard(peer)

    def _lacking(self, request: SyncRequest) -> list[Gossip]:
        """The votes, and the parts of proposals, that the requester does not hold."""
        have = set(request.have)
        lacking: list[Gossip] = []
        for message in self._messages_at(request.height):
            if digest(message) in have:
                continue
            lacking += [g for g in wrap(message) if received_digest(received_of(g)) not in have]
        return _fit(lacking, self._limits.max_bytes)

    async def _committed_from(self, start: int, stored: int) -> list[CommittedBlock]:
        """Stored blocks from ``start`` with their commits, within the count and size limits."""
        blocks: list[CommittedBlock] = []
        size = 0
        last = min(stored, start + self._limits.max_blocks - 1)
        for height in range(start, last + 1):
            block, commit = self._store.load_block(height), self._store.load_commit(height)
            if block is None or commit is None:
                break  # pruned below, or not written yet
            entry = CommittedBlock(block, commit)
            size += len(encode(entry))
            if blocks and size > self._limits.max_bytes // 2:
                break
            blocks.append(entry)
            await trio.lowlevel.checkpoint()  # peers and consensus are served between blocks
        return blocks


def _fit(messages: list[Gossip], max_bytes: int) -> list[Gossip]:
    """The first messages whose encodings fit in half of ``max_bytes`` together."""
    chosen: list[Gossip] = []
    size = 0
    for message in messages:
        size += len(encode(message))
        if chosen and size > max_bytes // 2:
            break
        chosen.append(message)
    return chosen
