"""A tx published while a peer was away reaches it when it joins: the node gossips its
pending txs again for peers that connect (``TxGossip.regossip_on_join``), as CometBFT's
mempool reactor sends its mempool to each new peer. Real libp2p nodes on 127.0.0.1."""

from __future__ import annotations

import trio

from node.p2p.host import P2PNode
from node.p2p.txgossip import TxGossip
from tests.node.p2p.netutil import TEST_CONFIG, LocalNetwork

TIMEOUT_S = 30
INTERVAL_S = 0.2


async def started_gossip(nursery: trio.Nursery, node: P2PNode) -> TxGossip:
    gossip = TxGossip(node)
    await nursery.start(gossip.run)
    return gossip


async def receive(gossip: TxGossip, count: int) -> list[bytes]:
    txs = []
    for _ in range(count):
        _peer, tx = await gossip.received.receive()
        txs.append(tx)
    return txs


async def test_a_peer_that_joins_later_gets_the_txs_still_pending() -> None:
    pending = [b"admitted while alone", b"admitted later"]
    async with trio.open_nursery() as nursery:
        network = LocalNetwork(nursery, 3, TEST_CONFIG)
        alone = await started_gossip(nursery, await network.start(0, peers=[]))
        assert await alone.broadcast(pending[0])  # published to no one: no peer yet
        nursery.start_soon(alone.regossip_on_join, lambda: pending, INTERVAL_S)

        first = await started_gossip(nursery, await network.start(1, peers=[0]))
        with trio.fail_after(TIMEOUT_S):
            assert sorted(await receive(first, 2)) == sorted(pending)

        # Another joins later still: it gets them too; the first drops them as seen.
        later = await started_gossip(nursery, await network.start(2, peers=[0]))
        with trio.fail_after(TIMEOUT_S):
            assert sorted(await receive(later, 2)) == sorted(pending)
        await trio.sleep(1)
        assert first.statistics().duplicates >= 2 and first.received.statistics().current_buffer_used == 0
        nursery.cancel_scope.cancel()
