"""What the Tendermint engine needs from the p2p layer; the node adapts its libp2p host.

``SyncPeers`` is the part that catch-up uses (ask one peer, blame one peer);
``Network`` adds each peer's consensus channel and gossip on the evidence topic.
"""

from __future__ import annotations

from typing import Protocol


class PeerError(Exception):
    """A request to a peer failed (unreachable, timed out, refused)."""


class SyncPeers(Protocol):
    """The peers a node can ask for what it lacks."""

    def peers(self) -> list[str]: ...

    async def request(self, peer: str, payload: bytes) -> bytes:
        """One sync request/response with ``peer``; raises ``PeerError``."""

    def report_invalid(self, peer: str, reason: str) -> None:
        """``peer`` sent something malformed or false (it costs the peer score)."""


class Network(SyncPeers, Protocol):
    """What the engine needs from the p2p layer; the node adapts its libp2p host to it."""

    async def send(self, peer: str, payload: bytes) -> None:
        """One frame on ``peer``'s consensus channel; raises ``PeerError``."""

    async def publish_evidence(self, payload: bytes) -> None:
        """Gossip encoded evidence on the evidence topic."""
