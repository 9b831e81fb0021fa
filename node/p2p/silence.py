"""Peers that have sent nothing on their channels for too long.

A protocol may promise a frame at least every so often (the consensus reactor
sends its ``RoundStep`` after 2 s without a frame); a connected peer that sends
nothing for ``limit_s`` then has a dead or wedged connection, or is not running,
and no call of ours needs to fail to tell: py-libp2p resets a stream it could not
open in a shielded scope with no time limit, so on a wedged connection a call can
hang for good. The owner disconnects such a peer and drops its transport
(``teardown.py``), which also ends any call hung on it.

Only the peer's silence counts, not ours: a frame is counted when it is read,
and a stream's next frame is read once our receiver has taken the last, so a
peer whose frame our receiver still holds is not silent, and its clock starts
again when the receiver is done. If our own loop ran late (the process was
starved or busy), frames may be waiting unread: every clock starts again.

Memory: a timestamp and a count per connected peer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from node.p2p.config import PeerId


class SilenceWatch:
    def __init__(self) -> None:
        self.limit_s = math.inf  # the shortest limit a channel set; none: never silent
        self._heard: dict[PeerId, float] = {}
        self._receiving: Counter[PeerId] = Counter()  # frames our receivers are taking

    def expect_every(self, limit_s: float) -> None:
        """A channel's peers send a frame at least every ``limit_s``: from now on (every
        clock starts again)."""
        self.limit_s = min(self.limit_s, limit_s)
        self._heard.clear()

    def heard(self, peer: PeerId, now: float) -> None:
        """A frame came from ``peer``, or it connected (its clock starts then)."""
        self._heard[peer] = now

    def receiving(self, peer: PeerId, now: float) -> None:
        """A frame from ``peer`` was read and goes to its receiver."""
        self._heard[peer] = now
        self._receiving[peer] += 1

    def received(self, peer: PeerId, now: float) -> None:
        """The receiver took the frame: the peer's clock starts now (if it is still connected)."""
        if peer in self._heard:
            self._heard[peer] = now
        self._receiving[peer] -= 1
        if self._receiving[peer] <= 0:
            del self._receiving[peer]

    def restart(self, now: float) -> None:
        """We were not reading: every clock starts again."""
        for peer in self._heard:
            self._heard[peer] = now

    def forget(self, peer: PeerId) -> None:
        self._heard.pop(peer, None)

    def silent(self, connected: Iterable[PeerId], now: float) -> list[PeerId]:
        """The connected peers silent for longer than ``limit_s``; their clocks start again, so
        that each is named once per limit while its disconnection runs."""
        found = []
        for peer in connected:
            last = self._heard.setdefault(peer, now)
            if now - last > self.limit_s and peer not in self._receiving:
                found.append(peer)
                self._heard[peer] = now
        return found
