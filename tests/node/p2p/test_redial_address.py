"""A persistent peer is re-dialled at the address in the config, never at the listen
address it advertised over identify: that one may not be reachable from here (NAT,
a port forward, a proxy), and libp2p dials only one TCP address per peer."""

from __future__ import annotations

from dataclasses import replace

import pytest
import trio
from libp2p.peer.id import ID

from node.p2p.host import P2PNode
from tests.e2e.proxy import HOST, TCPProxy
from tests.node.p2p.netutil import TEST_CONFIG, LocalNetwork, Member, eventually, run_member

pytestmark = pytest.mark.slow


def knows_listen_addr(node: P2PNode, peer: Member) -> bool:
    """Identify has run: ``node``'s peerstore holds the address ``peer`` listens on."""
    peerstore = node._require_session().host.get_peerstore()
    addrs = peerstore.addrs(ID.from_base58(peer.peer_id))
    return any(addr.value_for_protocol("tcp") == str(peer.port) for addr in addrs)


async def test_persistent_peer_is_redialled_at_its_configured_address() -> None:
    async with trio.open_nursery() as nursery:
        network = LocalNetwork(nursery, 2, TEST_CONFIG)
        dialler, dialled = network.members
        proxy = TCPProxy(dialled.port, name="redial")
        try:
            await network.start(1, peers=[])
            configured = f"/ip4/{HOST}/tcp/{proxy.port}/p2p/{dialled.peer_id}"
            config = replace(network.config_for(0, []), persistent_peers=(configured,))
            dialler.node = P2PNode(config, dialler.key)
            await nursery.start(run_member, dialler)
            a, b = network.nodes
            with trio.fail_after(15):
                await eventually(lambda: b.peer_id in a.peers())
                await eventually(lambda: knows_listen_addr(a, dialled))

                proxy.cut()
                await eventually(lambda: b.peer_id not in a.peers())
                dials = a.statistics().dials
                # Three refused re-dials, unless one got through around the proxy.
                await eventually(lambda: a.statistics().dials >= dials + 3 or b.peer_id in a.peers())
                assert b.peer_id not in a.peers(), "re-dialled at another address than the configured one"

                proxy.heal()
                await eventually(lambda: b.peer_id in a.peers())
        finally:
            proxy.close()
            nursery.cancel_scope.cancel()
