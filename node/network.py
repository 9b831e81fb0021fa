"""The node's side of the network: consensus channels, evidence and sync, and transactions.

``ConsensusNetwork`` adapts the libp2p host to what the Tendermint engine
needs (``consensus.tendermint.engine.Network``): a channel to each peer for
votes, block parts and round states, gossip for evidence, and sync requests.
``NetworkServices`` runs the host, the engine's inbound channel, evidence and
sync handlers, and transaction gossip:
a tx admitted to our mempool (from JSON-RPC) is gossiped to peers in
batches, and a tx gossiped by a peer goes through CheckTx into our mempool,
so whichever validator proposes next has it. Peers that join get the mempool's txs
gossiped again, as CometBFT's mempool reactor sends its mempool to each new peer.
"""

from __future__ import annotations

import logging

import trio

from consensus.tasks import TaskStatus
from consensus.tendermint.engine import PeerError, TendermintEngine
from consensus.tendermint.wire import (
    CHANNEL_PROTOCOL,
    MAX_SYNC_RESPONSE_BYTES,
    SILENCE_S,
    SYNC_PROTOCOL,
    BadMessage,
)
from node.mempool import Mempool
from node.p2p.config import TOPIC_EVIDENCE, PeerId
from node.p2p.errors import InvalidRequestError, P2PError
from node.p2p.host import P2PNode
from node.p2p.txgossip import TxGossip

log = logging.getLogger("depind.node")


class ConsensusNetwork:
    """``consensus.tendermint.engine.Network`` over a ``P2PNode``."""

    def __init__(self, p2p: P2PNode) -> None:
        self._p2p = p2p

    def peers(self) -> list[str]:
        return [str(peer) for peer in self._p2p.peers()]

    async def send(self, peer: str, payload: bytes) -> None:
        try:
            await self._p2p.send_on_channel(PeerId(peer), CHANNEL_PROTOCOL, payload)
        except P2PError as exc:
            raise PeerError(str(exc)) from None

    async def publish_evidence(self, payload: bytes) -> None:
        try:
            await self._p2p.publish(TOPIC_EVIDENCE, payload)
        except P2PError as exc:
            log.warning("could not gossip evidence: %s", exc)

    async def request(self, peer: str, payload: bytes) -> bytes:
        try:
            return await self._p2p.send_direct(PeerId(peer), SYNC_PROTOCOL, payload, MAX_SYNC_RESPONSE_BYTES)
        except P2PError as exc:
            raise PeerError(str(exc)) from None

    def report_invalid(self, peer: str, reason: str) -> None:
        self._p2p.report_invalid(PeerId(peer), reason)


class NetworkServices:
    """What runs beside the engine on a networked node."""

    def __init__(self, p2p: P2PNode, engine: TendermintEngine, mempool: Mempool) -> None:
        self.p2p = p2p
        self.engine = engine
        self.mempool = mempool
        self.txs = TxGossip(p2p)

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The host, gossip in both directions and the engine; started once all listen."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.p2p.run)
            self.p2p.set_direct_handler(SYNC_PROTOCOL, self._answer_sync, MAX_SYNC_RESPONSE_BYTES)
            self.p2p.set_channel(
                CHANNEL_PROTOCOL, self._receive_consensus, self.p2p.config.max_message_bytes, SILENCE_S
            )
            self.p2p.set_validator(TOPIC_EVIDENCE, self._screen_evidence)
            evidence = await self.p2p.subscribe(TOPIC_EVIDENCE)
            await nursery.start(self.txs.run)
            nursery.start_soon(self._evidence_inbound, evidence)
            nursery.start_soon(self._txs_inbound)
            nursery.start_soon(self.txs.regossip_on_join, self._pending_txs)
            await nursery.start(self.engine.run)
            task_status.started()

    async def gossip_tx(self, tx: bytes) -> None:
        """Pass on a tx our mempool admitted."""
        await self.txs.broadcast(tx)

    async def _evidence_inbound(self, channel: trio.MemoryReceiveChannel[tuple[PeerId, bytes]]) -> None:
        async with channel:
            async for peer, payload in channel:
                await self.engine.deliver_evidence(str(peer), payload)

    def _pending_txs(self) -> list[bytes]:
        return self.mempool.txs(self.mempool.size())

    async def _txs_inbound(self) -> None:
        async for _peer, tx in self.txs.received:
            self.mempool.check_tx(tx)  # rejections are normal: already included, or stale

    async def _receive_consensus(self, peer: PeerId, payload: bytes) -> None:
        await self.engine.receive(str(peer), payload)

    def _screen_evidence(self, origin: PeerId, payload: bytes) -> bool:
        return self.engine.screen_evidence(str(origin), payload)

    async def _answer_sync(self, peer: PeerId, payload: bytes) -> bytes:
        try:
            return await self.engine.answer_sync(str(peer), payload)
        except BadMessage as exc:
            raise InvalidRequestError(f"malformed sync request: {exc}") from None
