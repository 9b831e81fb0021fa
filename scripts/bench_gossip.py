"""Gossip throughput and latency of node/p2p on 127.0.0.1.

Runs ``--nodes`` P2PNodes (real libp2p over TCP, every node a persistent peer
of every other) in one trio process, so all of them share one CPU core:
figures are a lower bound for one node per process. Measures

- saturated: one node publishes ``--messages`` messages of ``--size`` bytes as
  fast as flow control lets it; msg/s per subscriber, and the latency of a
  message that waits behind the backlog;
- paced: ``--paced`` messages at ``--rate`` msg/s; latency p50/p99 of a
  network that is not saturated;
- txs: two nodes broadcast ``--txs`` txs of 200 bytes through TxGossip
  (50 ms batches); tx/s until every node has every tx.

    uv run python scripts/bench_gossip.py --nodes 4 --messages 2000
"""

from __future__ import annotations

import argparse
import logging
import platform
import socket
import struct
import time
from dataclasses import dataclass

import trio

from node.p2p.config import TOPIC_CONSENSUS, TOPIC_TXS, P2PConfig
from node.p2p.host import Message, P2PNode
from node.p2p.keys import NodeKey
from node.p2p.txgossip import TxGossip

_STAMP = struct.Struct(">Id")


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]

    def row(self) -> str:
        rate = f"{self.name:<10} {self.count:>8} {self.count / self.seconds:>10.0f}"
        if not self.latencies:
            return f"{rate} {'-':>9} {'-':>9}"
        lat = sorted(self.latencies)
        return f"{rate} {lat[len(lat) // 2] * 1e3:>9.1f} {lat[int(len(lat) * 0.99)] * 1e3:>9.1f}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_nodes(count: int) -> list[P2PNode]:
    keys = [NodeKey.generate() for _ in range(count)]
    ports = [free_port() for _ in range(count)]
    addrs = [f"/ip4/127.0.0.1/tcp/{port}/p2p/{key.peer_id}" for port, key in zip(ports, keys, strict=True)]
    return [
        P2PNode(
            P2PConfig(
                listen_addr=f"/ip4/127.0.0.1/tcp/{ports[i]}",
                persistent_peers=tuple(addr for j, addr in enumerate(addrs) if j != i),
                reconnect_backoff_base_s=0.1,
                reconnect_backoff_max_s=1.0,
            ),
            keys[i],
        )
        for i in range(count)
    ]


async def wait_for_mesh(nodes: list[P2PNode], topic: str) -> None:
    with trio.fail_after(30):
        for a in nodes:
            for b in nodes:
                if a is not b:
                    await a.wait_for_mesh_peer(topic, b.peer_id)


async def gossip_round(
    name: str,
    nodes: list[P2PNode],
    channels: list[trio.MemoryReceiveChannel[Message]],
    count: int,
    size: int,
    rate: float,
) -> Result:
    latencies: list[float] = []

    async def receive(channel: trio.MemoryReceiveChannel[Message]) -> None:
        for _ in range(count):
            _, payload = await channel.receive()
            latencies.append(time.perf_counter() - _STAMP.unpack_from(payload)[1])

    started = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for channel in channels[1:]:
            nursery.start_soon(receive, channel)
        for index in range(count):
            await nodes[0].publish(TOPIC_CONSENSUS, _STAMP.pack(index, time.perf_counter()).ljust(size, b"."))
            if rate:
                await trio.sleep(1 / rate)
    return Result(name, count, time.perf_counter() - started, latencies)


async def tx_round(nodes: list[P2PNode], count: int) -> Result:
    gossips = [TxGossip(node) for node in nodes]
    txs = [i.to_bytes(4, "big").ljust(200, b"t") for i in range(count)]
    halves = (txs[: count // 2], txs[count // 2 :])
    async with trio.open_nursery() as nursery:
        for gossip in gossips:
            await nursery.start(gossip.run)
        await wait_for_mesh(nodes, TOPIC_TXS)
        started = time.perf_counter()

        async def receive(gossip: TxGossip, expected: int) -> None:
            for _ in range(expected):
                await gossip.received.receive()

        async def broadcast(gossip: TxGossip, batch: list[bytes]) -> None:
            for tx in batch:
                await gossip.broadcast(tx)

        async with trio.open_nursery() as traffic:
            traffic.start_soon(receive, gossips[0], len(halves[1]))
            traffic.start_soon(receive, gossips[1], len(halves[0]))
            for gossip in gossips[2:]:
                traffic.start_soon(receive, gossip, count)
            traffic.start_soon(broadcast, gossips[0], halves[0])
            traffic.start_soon(broadcast, gossips[1], halves[1])
        elapsed = time.perf_counter() - started
        nursery.cancel_scope.cancel()
    return Result("txs", count, elapsed, [])


async def bench(args: argparse.Namespace) -> list[Result]:
    nodes = make_nodes(args.nodes)
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        channels = [await node.subscribe(TOPIC_CONSENSUS) for node in nodes]
        await wait_for_mesh(nodes, TOPIC_CONSENSUS)
        results = [
            await gossip_round("saturated", nodes, channels, args.messages, args.size, rate=0),
            await gossip_round("paced", nodes, channels, args.paced, args.size, rate=args.rate),
            await tx_round(nodes, args.txs),
        ]
        nursery.cancel_scope.cancel()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--paced", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--txs", type=int, default=10_000)
    args = parser.parse_args()
    # libp2p logs each refused start-up dial (to stderr: its logger does not propagate).
    logging.getLogger("libp2p").setLevel(logging.CRITICAL)
    results = trio.run(bench, args)
    machine = platform.processor() or platform.machine()
    print(f"{args.nodes} nodes in one process, {args.size} B messages; {machine}")
    print(f"{'round':<10} {'count':>8} {'per s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()
