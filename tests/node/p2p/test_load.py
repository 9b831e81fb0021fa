"""Under load nothing is lost silently: every gossip message and every tx reaches every subscriber once.

Four nodes in one process on 2 cores. The publisher goes as fast as ``publish``
lets it (flow control), so libp2p's 32-entry queues would overflow many times
over without it. Timings are printed (``pytest -s``), never asserted.
"""

from __future__ import annotations

import struct
import time

import pytest
import trio

from node.p2p.config import TOPIC_CONSENSUS, TOPIC_TXS, PeerId
from node.p2p.host import Message, P2PNode
from node.p2p.txgossip import TxGossip
from tests.node.p2p.netutil import running_network

pytestmark = pytest.mark.slow

MESSAGES = 2_000
MESSAGE_BYTES = 1_000

_STAMP = struct.Struct(">Id")  # index, perf_counter at publish


async def collect(
    channel: trio.MemoryReceiveChannel[Message], count: int, latencies: list[float]
) -> list[int]:
    indexes = []
    for _ in range(count):
        _, payload = await channel.receive()
        index, sent_at = _STAMP.unpack_from(payload)
        latencies.append(time.perf_counter() - sent_at)
        indexes.append(index)
    return indexes


async def test_no_gossip_message_is_lost_under_load() -> None:
    async with running_network(4) as network:
        publisher, *subscribers = network.nodes
        channels = [await node.subscribe(TOPIC_CONSENSUS) for node in network.nodes]
        received: dict[PeerId, list[int]] = {}
        latencies: list[float] = []

        async def receive(node: P2PNode, channel: trio.MemoryReceiveChannel[Message]) -> None:
            received[node.peer_id] = await collect(channel, MESSAGES, latencies)

        with trio.fail_after(60):
            await network.wait_for_mesh(TOPIC_CONSENSUS)
            started = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for node, channel in zip(subscribers, channels[1:], strict=True):
                    nursery.start_soon(receive, node, channel)
                for index in range(MESSAGES):
                    stamp = _STAMP.pack(index, time.perf_counter())
                    await publisher.publish(TOPIC_CONSENSUS, stamp.ljust(MESSAGE_BYTES, b"."))
            elapsed = time.perf_counter() - started

        for node in subscribers:
            assert sorted(received[node.peer_id]) == list(range(MESSAGES))  # each one, exactly once
            assert channels[network.nodes.index(node)].statistics().current_buffer_used == 0
        for node in network.nodes:
            stats = node.statistics()
            assert (stats.dropped_inbound, stats.dropped_outbound, stats.stalled_disconnects) == (0, 0, 0)
        # The publisher outran the network (2,000 > 1,024 queued), so flow control held it back.
        assert publisher.statistics().publish_waits > 0
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
        print(
            f"\n{MESSAGES} x {MESSAGE_BYTES} B to 3 subscribers in {elapsed:.2f} s: "
            f"{MESSAGES / elapsed:.0f} msg/s per subscriber; "
            f"latency p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms; "
            f"publisher waited {publisher.statistics().publish_waits} times for send queues"
        )


TXS_PER_BROADCASTER = 6_000
SHARED_TXS = 2_000  # broadcast by both, to exercise de-duplication
TX_BYTES = 200


def make_tx(index: int) -> bytes:
    return index.to_bytes(4, "big").ljust(TX_BYTES, b"t")


async def test_no_tx_is_lost_or_duplicated_under_load() -> None:
    # Both start with the shared txs, so both batch them before hearing of the other's copy.
    shared = [make_tx(i) for i in range(SHARED_TXS)]
    unique = TXS_PER_BROADCASTER - SHARED_TXS
    first = shared + [make_tx(i) for i in range(SHARED_TXS, SHARED_TXS + unique)]
    second = shared + [make_tx(i) for i in range(SHARED_TXS + unique, SHARED_TXS + 2 * unique)]
    everything = set(first) | set(second)
    assert len(everything) == 10_000
    # What each node broadcasts itself; the rest it must receive, each tx once.
    own: list[set[bytes]] = [set(first), set(second), set(), set()]

    async with running_network(4) as network:
        gossips = [TxGossip(node) for node in network.nodes]
        received: list[list[bytes]] = [[] for _ in gossips]

        async def receive(index: int) -> None:
            known = set(own[index])
            while len(known) < len(everything):
                _, tx = await gossips[index].received.receive()
                received[index].append(tx)
                known.add(tx)

        async def broadcast(gossip: TxGossip, txs: list[bytes]) -> None:
            for tx in txs:
                await gossip.broadcast(tx)

        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                for gossip in gossips:
                    await nursery.start(gossip.run)
                await network.wait_for_mesh(TOPIC_TXS)
                started = time.perf_counter()
                async with trio.open_nursery() as traffic:
                    for index in range(len(gossips)):
                        traffic.start_soon(receive, index)
                    traffic.start_soon(broadcast, gossips[0], first)
                    traffic.start_soon(broadcast, gossips[1], second)
                elapsed = time.perf_counter() - started
                nursery.cancel_scope.cancel()

        for index, gossip in enumerate(gossips):
            assert len(received[index]) == len(set(received[index]))  # exactly once
            assert set(received[index]) | own[index] == everything
            # A node receives its own txs only if a peer's copy of a shared tx got there first.
            assert set(received[index]) & own[index] <= set(shared)
            assert gossip.statistics().invalid_batches == 0
        for node in network.nodes:
            assert (node.statistics().dropped_inbound, node.statistics().dropped_outbound) == (0, 0)
        batches = sum(g.statistics().batches_sent for g in gossips)
        assert sum(g.statistics().duplicates for g in gossips) > 0  # the shared txs came twice
        print(
            f"\n{len(everything)} txs of {TX_BYTES} B from 2 nodes in {batches} batches to 4 nodes in "
            f"{elapsed:.2f} s: {len(everything) / elapsed:.0f} tx/s; "
            f"duplicates dropped: {sum(g.statistics().duplicates for g in gossips)}"
        )
