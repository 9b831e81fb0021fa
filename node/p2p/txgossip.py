"""Transaction gossip in batches: one gossip message per ~50 ms of transactions.

GossipSub costs about the same per message whatever its size (a signature,
a signed peer record, a task per message at each peer), so one message per
transaction caps the network at a few hundred tx/s. ``TxGossip`` collects
transactions for ``interval`` seconds (or until ``max_batch_bytes``), sends
them as one MessagePack list of byte strings, and on receipt unbatches them
and passes on each transaction it has not seen before (by SHA-256), whoever
sent it first.

A tx is published once, so a peer that was not connected then (cut off by a partition,
restarting) would never get it, and a tx admitted by a node that proposes no block (a
full node) would never be committed. CometBFT's mempool reactor sends every mempool tx to
each peer that connects; here ``regossip_on_join`` gossips the node's pending txs again
when peers join, once they are in the topic's mesh, at most once per ``interval_s``;
peers that have them drop them as seen.

Back-pressure: ``broadcast`` waits when ``buffer`` transactions are pending
(publishing waits for peers' send queues); the receive loop waits when the
consumer of ``received`` is ``buffer`` transactions behind, and then the
node's subscription buffer absorbs (and, if it overflows, counts) the rest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import trio

from consensus.tasks import TaskStatus
from node.p2p.config import TOPIC_TXS, PeerId
from node.p2p.host import Message, P2PNode

logger = logging.getLogger(__name__)

DEFAULT_MAX_BATCH_BYTES = 256 * 1024
REGOSSIP_MESH_WAIT_S = 5.0  # a peer joins the topic's mesh at a gossip heartbeat (1 s)
REGOSSIP_INTERVAL_S = 10.0  # however often peers (re)connect, the pending txs go out at most this often
_ENTRY_OVERHEAD = 5  # MessagePack header of one bin item (and of the list)
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(list[bytes])


class InvalidBatchError(ValueError):
    """Gossip on the tx topic that is not a non-empty MessagePack list of non-empty byte strings."""


def encode_batch(txs: list[bytes]) -> bytes:
    return _ENCODER.encode(txs)


def decode_batch(data: bytes) -> list[bytes]:
    try:
        txs = _DECODER.decode(data)
    except msgspec.DecodeError as exc:  # ValidationError is a subclass
        raise InvalidBatchError(f"malformed tx batch: {exc}") from None
    if not txs or not all(txs):
        raise InvalidBatchError("empty tx batch or empty tx")
    return txs


def tx_hash(tx: bytes) -> bytes:
    return hashlib.sha256(tx).digest()


def drain(channel: trio.MemoryReceiveChannel[PeerId]) -> list[PeerId]:
    """What ``channel`` holds now, without waiting."""
    found = []
    while True:
        try:
            found.append(channel.receive_nowait())
        except trio.WouldBlock:
            return found


class SeenTxs:
    """The hashes of the last ``capacity`` distinct transactions seen, oldest forgotten first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._hashes: dict[bytes, None] = {}  # insertion-ordered set

    def add(self, digest: bytes) -> bool:
        """Record ``digest``; True if it was new. Synchronous, so check-and-add is atomic."""
        if digest in self._hashes:
            return False
        self._hashes[digest] = None
        if len(self._hashes) > self._capacity:
            del self._hashes[next(iter(self._hashes))]
        return True

    def __len__(self) -> int:
        return len(self._hashes)


@dataclass
class TxGossipStatistics:
    batches_sent: int = 0
    txs_sent: int = 0
    batches_received: int = 0
    txs_received: int = 0  # new transactions passed on to ``received``
    duplicates: int = 0  # transactions dropped because they were seen before (by design)
    invalid_batches: int = 0


class TxGossip:
    def __init__(
        self,
        node: P2PNode,
        *,
        topic: str = TOPIC_TXS,
        interval: float | None = None,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
        buffer: int = 10_000,
        seen_capacity: int = 200_000,
    ) -> None:
        self._node = node
        self._topic = topic
        self._interval = node.config.gossip_batch_interval_s if interval is None else interval
        self._max_batch_bytes = min(max_batch_bytes, node.config.max_message_bytes)
        self._seen = SeenTxs(seen_capacity)
        self._pending_send, self._pending = trio.open_memory_channel[bytes](buffer)
        self._received_send, self.received = trio.open_memory_channel[Message](buffer)
        self._stats = TxGossipStatistics()

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Batch and unbatch until the node stops (then ``received`` ends) or until cancelled."""
        incoming = await self._node.subscribe(self._topic)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._send_loop)
            task_status.started()
            await self._receive_loop(incoming)
            nursery.cancel_scope.cancel()

    async def broadcast(self, tx: bytes) -> bool:
        """Queue ``tx`` for the next batch; False (and not sent) if it was seen before."""
        if not tx or len(tx) + 2 * _ENTRY_OVERHEAD > self._max_batch_bytes:
            raise ValueError(f"tx of {len(tx)} bytes cannot be gossiped (max {self._max_batch_bytes})")
        if not self._seen.add(tx_hash(tx)):
            return False
        await self._pending_send.send(tx)
        return True

    async def regossip_on_join(
        self, pending: Callable[[], list[bytes]], interval_s: float = REGOSSIP_INTERVAL_S
    ) -> None:
        """Each time peers join, gossip ``pending()`` (the mempool's txs) again, though
        they were sent before: the joined peers missed them. Runs until cancelled."""
        async for peer in self._node.joined_peers:
            joined = [peer, *drain(self._node.joined_peers)]
            with trio.move_on_after(REGOSSIP_MESH_WAIT_S):
                for member in joined:
                    await self._node.wait_for_mesh_peer(self._topic, member)
            txs = pending()
            for tx in txs:
                await self._pending_send.send(tx)
            if txs:
                logger.info(
                    "gossiping %d pending txs again for %d peer(s) that joined", len(txs), len(joined)
                )
            await trio.sleep(interval_s)

    def statistics(self) -> TxGossipStatistics:
        return TxGossipStatistics(**vars(self._stats))

    async def _send_loop(self) -> None:
        carry: bytes | None = None
        while True:
            first = carry if carry is not None else await self._pending.receive()
            batch, carry = await self._collect(first)
            await self._node.publish(self._topic, encode_batch(batch))
            self._stats.batches_sent += 1
            self._stats.txs_sent += len(batch)

    async def _collect(self, first: bytes) -> tuple[list[bytes], bytes | None]:
        """Txs arriving within ``interval`` of ``first``; and the one that would overflow the batch."""
        batch, size = [first], _ENTRY_OVERHEAD + len(first) + _ENTRY_OVERHEAD
        with trio.move_on_after(self._interval):
            while size < self._max_batch_bytes:
                tx = await self._pending.receive()
                if size + _ENTRY_OVERHEAD + len(tx) > self._max_batch_bytes:
                    return batch, tx
                batch.append(tx)
                size += _ENTRY_OVERHEAD + len(tx)
        return batch, None

    async def _receive_loop(self, incoming: trio.MemoryReceiveChannel[Message]) -> None:
        async with self._received_send:
            async for sender, data in incoming:
                await self._unbatch(sender, data)

    async def _unbatch(self, sender: PeerId, data: bytes) -> None:
        try:
            txs = decode_batch(data)
        except InvalidBatchError as exc:
            self._stats.invalid_batches += 1
            self._node.report_invalid(sender, str(exc))
            return
        self._stats.batches_received += 1
        for tx in txs:
            if self._seen.add(tx_hash(tx)):
                self._stats.txs_received += 1
                await self._received_send.send((sender, tx))
            else:
                self._stats.duplicates += 1
