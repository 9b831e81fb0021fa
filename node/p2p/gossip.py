"""libp2p Pubsub / GossipSub set up so that no message is lost without a trace.

Out of the box, py-libp2p 0.8.1 loses gossip quietly in several places; each
is handled here:

- the per-peer outbound queue holds 32 RPCs and drops the rest with a debug
  log: ``_SizedQueues`` raises the limit (and the 1 MiB RPC size limit) when
  pubsub creates the queue; ``P2PNode.publish`` waits while a queue is a
  quarter full, and ``CountingGossipSub`` counts and logs any RPC still refused;
- the subscription channel holds 32 messages and drops the rest:
  ``FlowControlledPubsub.notify_subscriptions`` hands every message to the
  node, which buffers it in a channel of its own size and counts overflow;
- messages for a peer whose subscriptions are not known yet wait in a list of
  100 per peer: raised to the send queue size;
- spam protection caps 10 msg/s per (peer, topic), own publishes included,
  and adaptive gossip stretches the heartbeat to 30-60 s on a small network:
  both are turned off in ``build_router``;
- seqnos restart from the wall clock in seconds: see ``FlowControlledPubsub``.

And one cost: every outbound RPC carries a signed peer record that the
receiver verifies, so the sending loop merges queued RPCs into one write and
that cost is paid per write instead of per message (about 3.5x the throughput).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Protocol

from google.protobuf.message import DecodeError
from libp2p.abc import IHost, INetStream
from libp2p.exceptions import ParseError
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.pubsub.rpc_queue import RpcQueue

from node.p2p.config import P2PConfig

logger = logging.getLogger(__name__)

# Room for what pubsub adds around a payload: origin, seqno, signature, key, signed peer record.
RPC_OVERHEAD_BYTES = 64 * 1024
# Queued RPCs are merged into writes of up to this size: below what any peer accepts (its
# max_message_bytes, at least 1 KiB, plus the overhead), whatever its settings. Measured here,
# 64 KiB merges as well as 256 KiB.
COALESCE_BYTES = RPC_OVERHEAD_BYTES
# Only GossipSub 1.1: 1.2 sends an IDONTWANT per message, which measured ~1.7x slower here.
GOSSIP_PROTOCOLS = [PROTOCOL_ID_V11]


class GossipEvents(Protocol):
    """What the pubsub layer reports to its owner (the ``P2PNode``)."""

    def deliver(self, message: rpc_pb2.Message) -> None:
        """A new, valid message on a topic we subscribe to (called once per message)."""

    def sent(self) -> None:
        """An outbound write finished: queues have room again."""

    def dropped(self, peer: ID, reason: str) -> None:
        """libp2p refused an outbound RPC (queue full or oversized)."""

    def malformed(self, peer: ID) -> None:
        """``peer`` sent a pubsub RPC that does not parse."""


def max_rpc_bytes(config: P2PConfig) -> int:
    return config.max_message_bytes + RPC_OVERHEAD_BYTES


def build_router(config: P2PConfig, events: GossipEvents) -> CountingGossipSub:
    degree = config.gossip_degree
    return CountingGossipSub(
        events,
        protocols=GOSSIP_PROTOCOLS,
        degree=degree,
        degree_low=max(1, degree - 1),
        degree_high=2 * degree,
        heartbeat_interval=1,  # the default is 120 s: mesh repair would take minutes
        spam_protection_enabled=False,
        adaptive_gossip_enabled=False,
        max_pending_messages_per_peer=config.send_queue_size,
    )


class CountingGossipSub(GossipSub):
    """GossipSub that reports every RPC it has to drop instead of only logging at debug level."""

    def __init__(self, events: GossipEvents, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._events = events

    def _handle_dropped_rpc(self, peer_id: ID, rpc: rpc_pb2.RPC, reason: str) -> None:
        if rpc.publish:
            self._events.dropped(peer_id, reason)
        super()._handle_dropped_rpc(peer_id, rpc, reason)


class FlowControlledPubsub(Pubsub):
    def __init__(self, host: IHost, router: GossipSub, events: GossipEvents, config: P2PConfig) -> None:
        super().__init__(
            host,
            router,
            max_inbound_rpc_size=max_rpc_bytes(config),
            allowed_topics=frozenset(config.topics),
        )
        # Seqnos start at the wall clock in seconds, so a node restarted within N seconds of
        # publishing N messages reuses seqnos and peers drop its messages as already seen.
        self.counter = time.time_ns()
        self.peer_queues = _SizedQueues(config.send_queue_size, max_rpc_bytes(config))
        self._events = events
        self._coalesce_bytes = COALESCE_BYTES

    def backlog(self) -> dict[ID, int]:
        """RPCs waiting in each open per-peer outbound queue."""
        return {peer: len(queue) for peer, queue in self.peer_queues.items() if not queue.closed}

    def notify_subscriptions(self, publish_message: rpc_pb2.Message) -> None:
        self._events.deliver(publish_message)

    async def continuously_read_stream(self, stream: INetStream) -> None:
        """libp2p's read loop, but an RPC that does not parse ends that peer's stream (and
        costs the peer score) instead of the host: libp2p 0.8.1 lets protobuf's
        ``DecodeError`` and its own varint ``ParseError`` escape the loop, and with them
        one of the swarm's tasks, which stops the node."""
        try:
            await super().continuously_read_stream(stream)
        except (DecodeError, ParseError) as exc:
            peer = stream.muxed_conn.peer_id
            logger.warning(
                "peer %s sent a pubsub RPC that does not parse (%s); dropping its stream", peer, exc
            )
            self._events.malformed(peer)
            with contextlib.suppress(Exception):
                await stream.reset()
            self._handle_dead_peer(peer)

    async def handle_sending_messages(self, peer_id: ID, stream: INetStream, queue: RpcQueue) -> None:
        """Like libp2p's loop, but each write carries every RPC already queued (up to a size)."""
        carry: rpc_pb2.RPC | None = None
        try:
            while True:
                first = carry if carry is not None else await queue.pop()
                if first is None:
                    return  # queue closed: the peer is gone
                rpc, carry = await coalesce(first, queue, self._coalesce_bytes)
                if not await self.write_msg(stream, rpc):
                    return
                self._events.sent()
        except Exception:
            logger.debug("sending loop for %s ended with an error", peer_id, exc_info=True)
            self._handle_dead_peer(peer_id)


async def coalesce(first: rpc_pb2.RPC, queue: RpcQueue, limit: int) -> tuple[rpc_pb2.RPC, rpc_pb2.RPC | None]:
    """``first`` merged with the RPCs already queued, up to ``limit`` bytes; and the one that did not fit.

    Queued RPCs may be shared with other peers' queues, so they are copied, never changed.
    """
    merged: rpc_pb2.RPC | None = None
    size = first.ByteSize()
    while len(queue) and size < limit:
        following = await queue.pop()  # returns at once: the queue is not empty
        if following is None:
            break
        extra = following.ByteSize()
        if size + extra > limit:
            return merged or first, following
        if merged is None:
            merged = rpc_pb2.RPC()
            merged.MergeFrom(first)
        merged.MergeFrom(following)  # repeated fields append; the sender record is the same
        size += extra
    return merged or first, None


class _SizedQueues(dict[ID, RpcQueue]):
    """``Pubsub.peer_queues`` that sets our limits on each queue as pubsub stores it.

    libp2p 0.8.1 creates every queue with ``RpcQueue()`` (32 RPCs, 1 MiB) and
    offers no setting, and pushes to it right after creating it, so the limits
    must be set here rather than later. ``_queue.max_size`` is private API;
    libp2p is pinned to 0.8.1, and the load test (which queues far more than
    32 RPCs per peer and requires zero counted drops) fails if this stops working.
    """

    def __init__(self, max_rpcs: int, max_bytes: int) -> None:
        super().__init__()
        self._max_rpcs = max_rpcs
        self._max_bytes = max_bytes

    def __setitem__(self, peer: ID, queue: RpcQueue) -> None:
        queue._queue.max_size = self._max_rpcs
        queue.max_message_size = self._max_bytes
        super().__setitem__(peer, queue)

    def capacity(self, peer: ID) -> int:
        return self[peer]._queue.max_size
