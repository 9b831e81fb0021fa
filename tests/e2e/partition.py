"""``ProxyMesh``: every p2p link of a ``Network`` through a ``TCPProxy``, so a test can
partition the network and heal it.

Node i reaches node j only through proxy (i, j): node i's ``persistent_peers`` lists
node j at that proxy's port. Each direction of a pair has its own proxy (libp2p may
keep the connection either node dialled), so ``partition`` cuts both. Build the mesh
before the nodes start; they read ``persistent_peers`` at start.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Collection
from typing import Any

from node.p2p.config import parse_listen_addr
from tests.e2e.network import Network, ValidatorNode, configure_p2p
from tests.e2e.proxy import HOST, TCPProxy

Link = tuple[int, int]  # (dialler, dialled), indexes into Network.nodes


class ProxyMesh:
    """A proxy for each ordered pair of ``network``'s nodes; ``p2p`` settings (such as
    a short ``reconnect_backoff_max_s``) are written with the new peer lists."""

    def __init__(self, network: Network, **p2p: Any) -> None:
        self.network = network
        self.proxies: dict[Link, TCPProxy] = {}
        with contextlib.ExitStack() as undo:  # closes the proxies made if one fails
            for dialler, dialled in itertools.permutations(range(len(network.nodes)), 2):
                proxy = TCPProxy(p2p_port(network.nodes[dialled]), name=f"p2p-{dialler}-{dialled}")
                undo.callback(proxy.close)
                self.proxies[dialler, dialled] = proxy
            for index, node in enumerate(network.nodes):
                configure_p2p(node.home, persistent_peers=self.peers_of(index), **p2p)
            undo.pop_all()

    def peers_of(self, index: int) -> tuple[str, ...]:
        """Node ``index``'s persistent peers: every other node, at its proxy's port."""
        nodes = self.network.nodes
        return tuple(
            f"/ip4/{HOST}/tcp/{self.proxies[index, other].port}/p2p/{nodes[other].node_id}"
            for other in range(len(nodes))
            if other != index
        )

    def partition(self, *groups: Collection[int]) -> None:
        """Cut every link between two groups (both directions); links within a group
        stay up. The groups must hold every node once."""
        group_of = {index: number for number, group in enumerate(groups) for index in group}
        everyone = list(range(len(self.network.nodes)))
        if sorted(group_of) != everyone or sum(len(group) for group in groups) != len(everyone):
            raise ValueError(f"groups {groups} do not split nodes 0..{everyone[-1]}")
        for (dialler, dialled), proxy in self.proxies.items():
            if group_of[dialler] != group_of[dialled]:
                proxy.cut()

    def heal(self) -> None:
        for proxy in self.proxies.values():
            proxy.heal()

    def close(self) -> None:
        """Close every proxy, each even if closing another raises."""
        with contextlib.ExitStack() as stack:
            for proxy in self.proxies.values():
                stack.callback(proxy.close)


def p2p_port(node: ValidatorNode) -> int:
    return int(parse_listen_addr(node.p2p_laddr).value_for_protocol("tcp"))
