"""Block sync progress in the log: height, blocks/s and ETA while the node is behind
its peers, and at the end the longest event-loop stall during the sync."""

from __future__ import annotations

import logging
import time

from consensus.stalls import StallMeter

log = logging.getLogger("depind.consensus")


class SyncProgress:
    """Logs block sync progress (height, blocks/s, ETA) while the node is behind its peers,
    and at the end the longest event-loop stall during the sync, if given a meter."""

    def __init__(self, interval_s: float, stalls: StallMeter | None = None) -> None:
        self.interval_s = interval_s
        self.stalls = stalls
        self.syncing = False
        self._since: tuple[float, int] = (0.0, 0)
        self._logged = 0.0

    def update(self, height: int, peer_height: int) -> None:
        now = time.monotonic()
        behind = peer_height - height
        if behind <= 1:
            if self.syncing:
                log.info("block sync done at height %d%s", height, self._stall_note())
            self.syncing = False
            return
        if not self.syncing:
            self.syncing = True
            if self.stalls is not None:
                self.stalls.reset()
            self._since = (now, height)
            self._logged = now
            log.info("block sync: at height %d, peers at %d", height, peer_height)
            return
        if now - self._logged < self.interval_s:
            return
        self._logged = now
        started, from_height = self._since
        rate = (height - from_height) / max(now - started, 1e-9)
        eta = f"{behind / rate:.0f} s" if rate > 0 else "unknown"
        log.info("block sync: height %d/%d, %.1f blocks/s, ETA %s", height, peer_height, rate, eta)

    def _stall_note(self) -> str:
        if self.stalls is None:
            return ""
        return f" (longest event-loop stall {self.stalls.longest_s * 1000:.0f} ms, in {self.stalls.task})"
