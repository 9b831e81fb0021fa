"""A simulated network for consensus nodes in one trio loop.

Before the global stabilization time (GST) messages are dropped, duplicated
and delayed at random (so they arrive out of order), and the nodes are split
by partitions that change every few seconds. From GST on the network is
synchronous: nothing is lost and every delay is at most ``max_delay_s``.

It is deterministic for a seed: each sender draws its drops and delays from its
own random generator, deliveries are ordered by (time, sender, sender's
sequence number), and one task delivers them in that order.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import trio

Endpoint = int


@dataclass(frozen=True)
class NetworkConfig:
    """Times are seconds since the simulation began."""

    gst_s: float = 10.0
    max_delay_s: float = 0.05  # Δ after GST
    pre_gst_mean_delay_s: float = 0.3  # exponential, so some messages overtake others by seconds
    drop_p: float = 0.2
    duplicate_p: float = 0.05
    partition_s: tuple[float, float] = (1.0, 5.0)  # how long a partition (or a connected spell) lasts
    isolated: tuple[Endpoint, ...] = ()  # if set: cut off from everyone else until GST, no other partition


def random_network(rng: random.Random) -> NetworkConfig:
    """A network as hostile as the seed makes it."""
    return NetworkConfig(
        gst_s=rng.uniform(5.0, 30.0),
        pre_gst_mean_delay_s=rng.uniform(0.05, 1.0),
        drop_p=rng.uniform(0.0, 0.4),
        duplicate_p=rng.uniform(0.0, 0.2),
    )


@dataclass(frozen=True)
class Spell:
    """From ``start_s``, endpoints talk only within their group (None: all connected)."""

    start_s: float
    groups: dict[Endpoint, int] | None


def partition_schedule(
    config: NetworkConfig, endpoints: Sequence[Endpoint], rng: random.Random
) -> list[Spell]:
    """Alternating connected and partitioned spells up to GST, then connected for good."""
    if config.isolated:
        cut_off = {e: int(e in config.isolated) for e in endpoints}
        return [Spell(0.0, cut_off), Spell(config.gst_s, None)]
    spells: list[Spell] = []
    now = 0.0
    while now < config.gst_s:
        partitioned = rng.random() < 0.6
        groups = {e: rng.randrange(rng.choice((2, 3))) for e in endpoints} if partitioned else None
        spells.append(Spell(now, groups))
        now += rng.uniform(*config.partition_s)
    spells.append(Spell(config.gst_s, None))
    return spells


@dataclass(order=True)
class _Delivery:
    at: float
    sender: Endpoint
    sequence: int
    receiver: Endpoint = field(compare=False)
    message: object = field(compare=False)


class Network:
    """Carries messages between endpoints; ``run`` must be running for them to arrive."""

    def __init__(self, config: NetworkConfig, spells: list[Spell]) -> None:
        self.config = config
        self.spells = spells
        self.origin = trio.current_time()
        self._inboxes: dict[Endpoint, trio.MemorySendChannel[tuple[Endpoint, object]]] = {}
        self._queue: list[_Delivery] = []
        self._sequence: dict[Endpoint, int] = {}
        self._changed = trio.Event()
        self.sent = 0
        self.delivered = 0

    def attach(self, endpoint: Endpoint) -> trio.MemoryReceiveChannel[tuple[Endpoint, object]]:
        """The endpoint's inbox: (sender, message) pairs."""
        send, receive = trio.open_memory_channel[tuple[Endpoint, object]](math.inf)
        self._inboxes[endpoint] = send
        return receive

    def elapsed(self) -> float:
        """Seconds since the simulation began."""
        return trio.current_time() - self.origin

    def send(self, sender: Endpoint, receiver: Endpoint, message: object, rng: random.Random) -> None:
        """Queue ``message``: maybe lost, maybe twice, after a random delay."""
        self.sent += 1
        now = trio.current_time()
        before_gst = now < self.origin + self.config.gst_s
        if not self.connected(sender, receiver, now) or (before_gst and rng.random() < self.config.drop_p):
            return
        copies = 2 if rng.random() < self.config.duplicate_p else 1
        for _ in range(copies):
            sequence = self._sequence.get(sender, 0)
            self._sequence[sender] = sequence + 1
            delivery = _Delivery(now + self._delay(before_gst, rng), sender, sequence, receiver, message)
            if not self._queue or delivery < self._queue[0]:
                self._changed.set()
            heapq.heappush(self._queue, delivery)

    def connected(self, a: Endpoint, b: Endpoint, now: float) -> bool:
        spell = next(s for s in reversed(self.spells) if self.origin + s.start_s <= now)
        return spell.groups is None or spell.groups.get(a) == spell.groups.get(b)

    def _delay(self, before_gst: bool, rng: random.Random) -> float:
        if before_gst:
            return 0.001 + rng.expovariate(1 / self.config.pre_gst_mean_delay_s)
        return rng.uniform(0.001, self.config.max_delay_s)

    async def run(self) -> None:
        """Deliver each message when its time comes, in (time, sender, sequence) order."""
        while True:
            self._changed = trio.Event()
            due = self._queue[0].at if self._queue else math.inf
            with trio.move_on_at(due):
                await self._changed.wait()
                continue
            now = trio.current_time()
            while self._queue and self._queue[0].at <= now:
                delivery = heapq.heappop(self._queue)
                self.delivered += 1
                self._inboxes[delivery.receiver].send_nowait((delivery.sender, delivery.message))
