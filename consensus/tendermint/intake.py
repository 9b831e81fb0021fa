"""Per-peer bounds on what peers can make a validator hold or do.

``FutureBuffer`` keeps the next height's messages, already checked against that
height's validators, until the height starts, within a count and a byte budget per
peer and in total. ``JunkMeter`` charges each peer for gossip that served no purpose
(stale, duplicate, out of the round window): honest peers send a little, a flood
runs a peer out of budget and the driver reports it, which leads to a ban.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from consensus.tendermint.wire import Received


@dataclass(frozen=True)
class IntakeLimits:
    future_per_peer: int = 512  # next-height messages from one peer (a sync answer carries many)
    future_bytes_per_peer: int = 8 * 1024 * 1024  # room for two full proposals
    future_bytes: int = 64 * 1024 * 1024
    junk_burst: int = 500  # useless gossip messages a peer may send at once ...
    junk_per_s: float = 50.0  # ... and per second after that (an honest peer sends a few a height)
    tracked_peers: int = 4096  # peers the meter remembers; the idlest are forgotten first


class FutureBuffer:
    """Messages for the height after ours, by the peer that sent them."""

    def __init__(self, limits: IntakeLimits) -> None:
        self._limits = limits
        self._messages: list[tuple[str, Received]] = []
        self._count: dict[str, int] = {}
        self._bytes: dict[str, int] = {}
        self._total = 0

    def add(self, peer: str, message: Received, size: int) -> bool:
        """Keep ``message`` (``size`` bytes encoded) unless ``peer`` or the buffer is over budget."""
        limits = self._limits
        count, held = self._count.get(peer, 0), self._bytes.get(peer, 0)
        if count >= limits.future_per_peer or held + size > limits.future_bytes_per_peer:
            return False
        if self._total + size > limits.future_bytes:
            return False
        self._messages.append((peer, message))
        self._count[peer] = count + 1
        self._bytes[peer] = held + size
        self._total += size
        return True

    def messages(self) -> list[Received]:
        return [message for _, message in self._messages]

    def take(self) -> list[tuple[str, Received]]:
        """Everything held, in arrival order; the buffer is empty afterwards."""
        taken = self._messages
        self._messages, self._count, self._bytes, self._total = [], {}, {}, 0
        return taken

    def __len__(self) -> int:
        return len(self._messages)

    @property
    def bytes(self) -> int:
        return self._total


class TokenBuckets:
    """A token bucket per peer: each event takes a token, time refills them. ``JunkMeter``
    charges useless gossip this way, and the sync server its answers."""

    def __init__(self, burst: int, per_s: float, tracked_peers: int = 4096) -> None:
        self._burst = float(burst)
        self._per_s = per_s
        self._tracked = tracked_peers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # peer -> (tokens, when)

    def take(self, peer: str, now: float) -> bool:
        """Take a token from ``peer``'s bucket; False when it had none left."""
        tokens, when = self._buckets.pop(peer, (self._burst, now))
        tokens = min(self._burst, tokens + (now - when) * self._per_s)
        granted = tokens >= 1.0
        self._buckets[peer] = (tokens - 1.0 if granted else tokens, now)
        if len(self._buckets) > self._tracked:
            self._buckets.popitem(last=False)  # the peer seen longest ago starts afresh if it returns
        return granted


class JunkMeter:
    """Charges peers for gossip that served no purpose."""

    def __init__(self, limits: IntakeLimits) -> None:
        self._buckets = TokenBuckets(limits.junk_burst, limits.junk_per_s, limits.tracked_peers)

    def charge(self, peer: str, now: float) -> bool:
        """Count one useless message from ``peer``; True when it is over its budget (report it)."""
        return not self._buckets.take(peer, now)
