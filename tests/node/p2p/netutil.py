"""Run real P2PNodes on 127.0.0.1 in one trio process (real TCP, real libp2p)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

import trio

from consensus.tasks import TaskStatus
from node.p2p.config import P2PConfig, PeerId
from node.p2p.host import P2PNode
from node.p2p.keys import NodeKey

# Short timings so reconnects and bans play out in seconds.
TEST_CONFIG = P2PConfig(
    reconnect_backoff_base_s=0.1,
    reconnect_backoff_max_s=1.0,
    dial_timeout_s=2.0,
    request_timeout_s=5.0,
    ban_duration_s=3.0,
)


async def eventually(condition: Callable[[], bool], interval: float = 0.05) -> None:
    """Poll ``condition`` until it holds; bound the wait with ``trio.fail_after``."""
    while True:
        if condition():
            return
        await trio.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Member:
    """One node of a test network: its identity, address and (while running) its P2PNode."""

    key: NodeKey
    port: int
    node: P2PNode | None = None
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    stopped: trio.Event = field(default_factory=trio.Event)

    @property
    def peer_id(self) -> PeerId:
        return self.key.peer_id

    @property
    def addr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.port}/p2p/{self.peer_id}"

    @property
    def running(self) -> P2PNode:
        assert self.node is not None, "node not started"
        return self.node


class LocalNetwork:
    def __init__(self, nursery: trio.Nursery, size: int, base: P2PConfig) -> None:
        self._nursery = nursery
        self._base = base
        self.members = [Member(NodeKey.generate(), free_port()) for _ in range(size)]

    @property
    def nodes(self) -> list[P2PNode]:
        return [member.running for member in self.members]

    def config_for(self, index: int, peers: Sequence[int] | None = None) -> P2PConfig:
        """Listen on the member's port; persistent peers: ``peers``, or everyone else."""
        chosen = [i for i in range(len(self.members)) if i != index] if peers is None else peers
        return replace(
            self._base,
            listen_addr=f"/ip4/127.0.0.1/tcp/{self.members[index].port}",
            persistent_peers=tuple(self.members[i].addr for i in chosen),
        )

    async def start(self, index: int, peers: Sequence[int] | None = None) -> P2PNode:
        member = self.members[index]
        member.node = P2PNode(self.config_for(index, peers), member.key)
        member.scope, member.stopped = trio.CancelScope(), trio.Event()
        await self._nursery.start(run_member, member)
        return member.node

    async def stop(self, index: int) -> None:
        member = self.members[index]
        member.scope.cancel()
        await member.stopped.wait()
        member.node = None

    async def wait_for_mesh(self, topic: str, indexes: Sequence[int] | None = None) -> None:
        """Every pair of the given members has the other in its mesh for ``topic``."""
        chosen = [self.members[i] for i in (indexes if indexes is not None else range(len(self.members)))]
        for a in chosen:
            for b in chosen:
                if a is not b:
                    await a.running.wait_for_mesh_peer(topic, b.peer_id)


async def run_member(member: Member, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    try:
        with member.scope:
            await member.running.run(task_status=task_status)
    finally:
        member.stopped.set()


@asynccontextmanager
async def running_network(size: int, base: P2PConfig = TEST_CONFIG) -> AsyncIterator[LocalNetwork]:
    """``size`` nodes, each with all the others as persistent peers, all started."""
    async with trio.open_nursery() as nursery:
        network = LocalNetwork(nursery, size, base)
        for index in range(size):
            await network.start(index)
        yield network
        nursery.cancel_scope.cancel()
