"""Every p2p link of the runner's network through its own proxy, so that a node can be cut
off from all the others and joined again (the ``disconnect`` perturbation).

Like tests/e2e/partition.py's ``ProxyMesh``, but over validators and full nodes alike: node
A reaches node B only through proxy (A, B), whose port A's ``persistent_peers`` lists for
B. libp2p keeps a connection either end dialled, so both directions of a pair have their
own proxy and isolating a node cuts both. Written before the nodes start.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from node.home import Home
from tests.e2e.network import configure_p2p
from tests.e2e.proxy import HOST, TCPProxy


@dataclass(frozen=True)
class Endpoint:
    """Where a node listens for p2p, and who it is."""

    name: str
    home: Home
    node_id: str
    p2p_port: int


class Mesh:
    """A proxy for each ordered pair of ``endpoints``; ``p2p`` settings (a short
    ``reconnect_backoff_max_s``) are written with the new peer lists."""

    def __init__(self, endpoints: Sequence[Endpoint], **p2p: Any) -> None:
        self.endpoints = {e.name: e for e in endpoints}
        self.proxies: dict[tuple[str, str], TCPProxy] = {}
        self._isolated: set[str] = set()
        self._lock = threading.Lock()
        with contextlib.ExitStack() as undo:  # closes the proxies made if one fails
            for dialler, dialled in itertools.permutations(self.endpoints, 2):
                proxy = TCPProxy(self.endpoints[dialled].p2p_port, name=f"p2p-{dialler}-{dialled}")
                undo.callback(proxy.close)
                self.proxies[dialler, dialled] = proxy
            for endpoint in endpoints:
                configure_p2p(endpoint.home, persistent_peers=self.peers_of(endpoint.name), **p2p)
            undo.pop_all()

    def peers_of(self, name: str) -> tuple[str, ...]:
        return tuple(
            f"/ip4/{HOST}/tcp/{self.proxies[name, other].port}/p2p/{self.endpoints[other].node_id}"
            for other in self.endpoints
            if other != name
        )

    def isolate(self, name: str) -> None:
        """Cut every link to and from ``name``."""
        with self._lock:
            self._isolated.add(name)
            for pair, proxy in self.proxies.items():
                if name in pair:
                    proxy.cut()

    def rejoin(self, name: str) -> None:
        """Heal ``name``'s links, but those to a node still isolated."""
        with self._lock:
            self._isolated.discard(name)
            for pair, proxy in self.proxies.items():
                if name in pair and not self._isolated & set(pair):
                    proxy.heal()

    def close(self) -> None:
        with contextlib.ExitStack() as stack:
            for proxy in self.proxies.values():
                stack.callback(proxy.close)
