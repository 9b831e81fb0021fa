"""Sending each peer the votes and block parts it lacks (CometBFT's consensus reactor).

The owner task tells the reactor where it is (``step``) and every vote and part it
has taken (``hold``: its own, or a peer's that it admitted). For each connected
peer one routine sends, in this order, over the peer's consensus channel:

1. our ``RoundStep`` whenever it changed since the peer last heard it, and again
   after ``keepalive_s`` without a frame: a send is how a routine learns that its
   link broke or was lost (then it starts afresh and sends again what the peer may
   lack), and a halted height sends nothing else;
2. ``Has``: the digests of what we received that the peer is not known to hold, so
   that it does not send them to us (CometBFT's HasVote and HasProposalBlockPart);
3. the first message we hold that the peer lacks, of a round up to the peer's
   round + 1 (as CometBFT sends a peer the votes of its round): a later round's
   waits until the peer gets there, by its timeouts or by +2/3 of the next
   round's votes, and a lagging peer never sees it as a far-round flood.

(2) and (3) only while the peer decides our height: a peer behind catches up by
block sync, and a ``Has`` for another height would be junk to it.

Our own messages go at once. A message we received goes on only after
``relay_after_s``: by then a peer that got it from its signer has said so with
``Has``, so in a network where all are connected each message crosses each link
about once, and where they are not, it still reaches everyone, one relay per hop.

Nothing is queued per peer: a routine picks its next frame from the height's
held messages when its last send completes, so a slow peer costs a routine that
waits and no memory. What is held is what the machine and the part assembly
admitted, which their own bounds limit.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Protocol

import trio

from consensus.codec import encode
from consensus.tendermint.messages import VoteMsg
from consensus.tendermint.network import PeerError
from consensus.tendermint.peer_state import PeerStates
from consensus.tendermint.wire import (
    KEEPALIVE_S,
    MAX_ANNOUNCED,
    Has,
    Received,
    RoundStep,
    encode_gossip,
    received_digest,
)

log = logging.getLogger("depind.consensus")


class Channel(Protocol):
    def peers(self) -> list[str]: ...

    async def send(self, peer: str, payload: bytes) -> None:
        """One frame on ``peer``'s consensus channel; raises ``PeerError``."""


@dataclass(frozen=True)
class ReactorConfig:
    relay_after_s: float = 0.1  # a received message waits this long for peers' ``Has``
    idle_s: float = 0.1  # a routine with nothing to send looks again after this, or on news
    retry_s: float = 0.5  # after a failed send, before the routine starts again
    keepalive_s: float = KEEPALIVE_S  # our step again after this long without a frame


@dataclass
class _Held:
    digest: bytes
    payload: bytes
    round: int
    at: float  # trio time it came; our own are due at once
    own: bool


@dataclass
class _Routine:
    """What one peer's routine has told it."""

    step: RoundStep | None = None
    announced: int = 0  # held messages before this index were announced, or are the peer's
    resolved: int = 0  # held messages before this index the peer holds
    sent: set[bytes] = field(default_factory=set)  # digests sent it at this height
    last_at: float = -math.inf  # trio time of the last frame sent

    def restart(self) -> None:
        self.announced = self.resolved = 0
        self.sent = set()


@dataclass
class Reactor:
    channel: Channel
    peer_states: PeerStates
    config: ReactorConfig = field(default_factory=ReactorConfig)
    _height: int = 0
    _step: RoundStep | None = None
    _held: list[_Held] = field(default_factory=list)
    _digests: set[bytes] = field(default_factory=set)
    _routines: dict[str, _Routine] = field(default_factory=dict)
    _news: trio.Event = field(default_factory=trio.Event)
    sent: int = 0  # frames, over all peers
    failed: int = 0

    # ---- what the owner tells it -------------------------------------------------------------

    def start_height(self, height: int) -> None:
        """Forget the last height's messages."""
        if height != self._height:
            self._height, self._held, self._digests = height, [], set()
            for routine in self._routines.values():
                routine.restart()
            self._touch()

    def step(self, height: int, round_: int, step: int) -> None:
        new = RoundStep(height, round_, step)
        if new != self._step:
            self._step = new
            self._touch()

    def hold(self, received: Received, *, own: bool) -> None:
        """A message of the current height that we took: offer it to the peers that lack it."""
        digest = received_digest(received)
        if digest in self._digests:
            return
        self._digests.add(digest)
        round_ = received.vote.round if isinstance(received, VoteMsg) else received.proposal.round
        self._held.append(_Held(digest, encode_gossip(received), round_, trio.current_time(), own))
        self._touch()

    def peer_news(self) -> None:
        """A peer said where it is or what it holds: its routine may have something to send."""
        self._touch()

    # ---- the routines ------------------------------------------------------------------------

    async def run(self) -> None:
        """Start a routine for each connected peer, until cancelled."""
        async with trio.open_nursery() as nursery:
            while True:
                for peer in self.channel.peers():
                    if peer not in self._routines:
                        self._routines[peer] = _Routine()
                        nursery.start_soon(self._serve, peer)
                with trio.move_on_after(self.config.idle_s):
                    await self._news.wait()

    async def _serve(self, peer: str) -> None:
        routine = self._routines[peer]
        try:
            while peer in self.channel.peers():
                news = self._news
                frame = self._next_frame(peer, routine)
                if frame is None:
                    with trio.move_on_after(self.config.idle_s):
                        await news.wait()
                    continue
                try:
                    await self.channel.send(peer, frame)
                except PeerError as exc:
                    self.failed += 1
                    log.debug("consensus channel to %s: %s", peer, exc)
                    await trio.sleep(self.config.retry_s)
                    return
                self.sent += 1
                routine.last_at = trio.current_time()
        finally:
            del self._routines[peer]  # the next connection starts afresh (and hears our step)

    def _next_frame(self, peer: str, routine: _Routine) -> bytes | None:
        quiet = trio.current_time() - routine.last_at >= self.config.keepalive_s
        if self._step is not None and (routine.step != self._step or quiet):
            routine.step = self._step
            return encode(self._step)
        state = self.peer_states.get(peer)
        if state is None or state.height != self._height:
            return None
        return self._announcement(peer, routine) or self._lacking(peer, routine)

    def _announcement(self, peer: str, routine: _Routine) -> bytes | None:
        """``Has`` for what we received and the peer is not known to hold."""
        held = self._held
        digests: list[bytes] = []
        while routine.announced < len(held) and len(digests) < MAX_ANNOUNCED:
            entry = held[routine.announced]
            routine.announced += 1
            if not entry.own and not self._has(peer, routine, entry.digest):
                digests.append(entry.digest)
        return encode(Has(self._height, digests)) if digests else None

    def _lacking(self, peer: str, routine: _Routine) -> bytes | None:
        """The first held message ``peer`` lacks and may have now; marked as its own."""
        held = self._held
        while routine.resolved < len(held) and self._has(peer, routine, held[routine.resolved].digest):
            routine.resolved += 1
        due = trio.current_time() - self.config.relay_after_s
        state = self.peer_states.get(peer)
        last_round = (0 if state is None else max(state.round, 0)) + 1
        for entry in held[routine.resolved :]:
            if entry.round > last_round:
                continue  # past the peer's round + 1: it would take it for junk
            if (entry.own or entry.at <= due) and not self._has(peer, routine, entry.digest):
                routine.sent.add(entry.digest)
                return entry.payload
        return None

    def _has(self, peer: str, routine: _Routine, digest: bytes) -> bool:
        return digest in routine.sent or self.peer_states.holds(peer, self._height, digest)

    def _touch(self) -> None:
        self._news.set()
        self._news = trio.Event()
