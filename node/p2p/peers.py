"""Peer scores, bans and the reconnect back-off: plain bookkeeping, no I/O, time passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

from node.p2p.config import PeerId

_MAX_DOUBLINGS = 62  # 2**62 * any positive base already exceeds every sane maximum


def backoff_delay(failures: int, base: float, maximum: float) -> float:
    """Seconds to wait after ``failures`` consecutive failed dials (>= 1).

    ``min(base * 2**(failures - 1), maximum)``: deterministic, no jitter, so a
    test (or an operator) can bound exactly when the next dial happens.
    """
    if failures < 1:
        raise ValueError("failures must be >= 1")
    doublings = min(failures - 1, _MAX_DOUBLINGS)
    return min(base * (1 << doublings), maximum)


@dataclass
class PeerBook:
    """Misbehaviour scores and bans, owned by the p2p node.

    A score starts at 0 and drops by ``penalty`` per invalid report; at or
    below ``threshold`` the peer is banned for ``ban_duration`` seconds. When a
    ban ends the score starts again from 0. Scores do not recover otherwise.
    """

    penalty: int
    threshold: int
    ban_duration: float
    _scores: dict[PeerId, int] = field(default_factory=dict)
    _banned_until: dict[PeerId, float] = field(default_factory=dict)

    def score(self, peer: PeerId, now: float) -> int:
        until = self._banned_until.get(peer)
        if until is not None and until <= now:
            return 0  # the ban is over: a clean slate, even before ``expire`` runs
        return self._scores.get(peer, 0)

    def report_invalid(self, peer: PeerId, now: float) -> bool:
        """Lower the score; True if this report bans the peer (False if already banned)."""
        if self.is_banned(peer, now):
            return False
        self._scores[peer] = self.score(peer, now) - self.penalty
        self._banned_until.pop(peer, None)  # an ended ban
        if self._scores[peer] > self.threshold:
            return False
        self._banned_until[peer] = now + self.ban_duration
        return True

    def is_banned(self, peer: PeerId, now: float) -> bool:
        return self.ban_remaining(peer, now) > 0

    def ban_remaining(self, peer: PeerId, now: float) -> float:
        until = self._banned_until.get(peer)
        return 0.0 if until is None else max(0.0, until - now)

    def banned(self, now: float) -> list[PeerId]:
        return sorted(peer for peer in self._banned_until if self.is_banned(peer, now))

    def expire(self, now: float) -> list[PeerId]:
        """Forget the bans that have run out (and those peers' scores); returns those peers."""
        ended = sorted(peer for peer, until in self._banned_until.items() if until <= now)
        for peer in ended:
            del self._banned_until[peer]
            self._scores.pop(peer, None)
        return ended
