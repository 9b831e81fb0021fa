"""Tendermint engines wired together in memory, with fake applications and stores.

``Hub`` is the network: a frame sent on a peer's consensus channel, and
evidence gossip, reach the engines connected to the sender (each has an inbox
pumped by a task of its own, as the node's channel and subscription are); a
sync request is answered by the peer's ``answer_sync`` at once. Nodes
can be taken down (no traffic either way) and links cut, to make engines miss
messages and catch up afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trio

from consensus.abci import FinalizeResultLike
from consensus.blocks import BlockExecutor, ChainParams, on_the_loop
from consensus.engine import BlockLimits
from consensus.tendermint.config import TimeoutConfig
from consensus.tendermint.engine import EngineConfig, PeerError, TendermintEngine
from consensus.tendermint.evidence import EvidenceParams
from consensus.tendermint.messages import Signer
from consensus.tendermint.wal import WAL
from consensus.tendermint.wire import BadMessage
from consensus.types import Block, Commit
from consensus.validators import ValidatorSet
from tests.consensus.fakes import FakeApp, FakeBlockStore, FakeMempool
from tests.consensus.tendermint.support import CHAIN_ID

CONSENSUS_HASH = b"\x11" * 32
LIMITS = BlockLimits(1 << 20, -1)
EVIDENCE = EvidenceParams(max_age_num_blocks=100, max_bytes=64 * 1024)
TIMEOUTS = TimeoutConfig(propose_s=1.0, prevote_s=0.5, precommit_s=0.5, delta_s=0.25, commit_s=0.5)


@dataclass
class Hub:
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    cut: set[frozenset[str]] = field(default_factory=set)
    reports: list[tuple[str, str, str]] = field(default_factory=list)  # (reporter, peer, reason)
    liars: dict[str, Callable[[bytes], bytes]] = field(default_factory=dict)  # peer -> its sync answers

    def connected(self, a: str, b: str) -> bool:
        return a != b and not {a, b} & self.down and frozenset((a, b)) not in self.cut


class Endpoint:
    """One engine's ``Network``."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub = hub
        self.name = name
        self.engine: TendermintEngine | None = None
        self._send, self._receive = trio.open_memory_channel[tuple[str, bytes, bool]](100_000)
        hub.endpoints[name] = self

    def peers(self) -> list[str]:
        return [
            peer
            for peer, e in self.hub.endpoints.items()
            if (e.engine or peer in self.hub.liars) and self.hub.connected(self.name, peer)
        ]

    async def send(self, peer: str, payload: bytes) -> None:
        if peer not in self.peers():
            raise PeerError(f"{peer} is not connected")
        self.hub.endpoints[peer]._send.send_nowait((self.name, payload, False))

    async def publish_evidence(self, payload: bytes) -> None:
        self.gossip(payload, evidence=True)

    def gossip(self, payload: bytes, *, evidence: bool, sender: str | None = None) -> None:
        """Send to every connected peer (a test may speak as any ``sender``): evidence, or
        a consensus channel frame."""
        sender = sender or self.name
        for peer in self.peers():
            self.hub.endpoints[peer]._send.send_nowait((sender, payload, evidence))

    async def request(self, peer: str, payload: bytes) -> bytes:
        await trio.sleep(0.001)
        if peer in self.hub.liars:
            return self.hub.liars[peer](payload)
        target = self.hub.endpoints[peer].engine
        if target is None or not self.hub.connected(self.name, peer):
            raise PeerError(f"{peer} is unreachable")
        try:
            return await target.answer_sync(self.name, payload)
        except BadMessage as exc:
            raise PeerError(f"{peer} rejected the request: {exc}") from None

    def report_invalid(self, peer: str, reason: str) -> None:
        self.hub.reports.append((self.name, peer, reason))

    async def pump(self) -> None:
        """Hand frames and gossip to the engine, dropping what arrives while this node is down."""
        async for peer, payload, evidence in self._receive:
            if self.engine is None or self.name in self.hub.down:
                continue
            if evidence:
                if self.engine.screen_evidence(peer, payload):  # as the node's gossip validators do
                    await self.engine.deliver_evidence(peer, payload)
            else:
                await self.engine.receive(peer, payload)


@dataclass
class MemoryNode:
    name: str
    endpoint: Endpoint
    app: FakeApp
    store: FakeBlockStore
    mempool: FakeMempool
    wal_dir: Path
    commits: list[tuple[int, bytes]] = field(default_factory=list)  # (height, block hash)

    async def on_commit(self, block: Block, commit: Commit, result: FinalizeResultLike) -> None:
        self.commits.append((block.header.height, block.hash()))

    def engine(
        self,
        signer: Signer | None,
        genesis: ValidatorSet,
        executor_type: type[BlockExecutor] = BlockExecutor,
        config: EngineConfig | None = None,
    ) -> TendermintEngine:
        """The node's engine; a Byzantine node's ``executor_type`` may build blocks its own way."""
        params = ChainParams(CHAIN_ID, 1, 0)
        executor = executor_type(params, self.app, self.store, self.mempool, genesis, on_the_loop)
        engine = TendermintEngine(
            executor,
            signer,
            WAL(self.wal_dir),
            self.endpoint,
            self.on_commit,
            config or EngineConfig(timeouts=TIMEOUTS),
        )
        self.endpoint.engine = engine
        return engine

    def block_hashes(self) -> dict[int, bytes]:
        return {h: b.hash() for h, b in self.store.blocks.items()}


def memory_node(hub: Hub, name: str, root: Path) -> MemoryNode:
    return MemoryNode(
        name, Endpoint(hub, name), FakeApp(), FakeBlockStore(), FakeMempool(), root / name / "wal"
    )


async def wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Poll ``condition`` (simulated time); fail if it does not hold within ``timeout_s``."""
    with trio.fail_after(timeout_s):
        while not condition():  # noqa: ASYNC110  # the conditions are plain state, no event to wait on
            await trio.sleep(0.1)
