"""How long the event loop stalls: the longest time one trio task ran without yielding.

While one task runs, no other does: no peer is answered, no gossip relayed, no
timeout fired. Long work (executing synced blocks, reading blocks for a peer)
yields between items so that a stall is one item long, and this meter shows it.
"""

from __future__ import annotations

import time

import trio


class StallMeter(trio.abc.Instrument):
    """Install with ``trio.lowlevel.add_instrument``; costs two clock reads per task step."""

    def __init__(self) -> None:
        self.longest_s = 0.0
        self.task = ""
        self._started: float | None = None  # None until a step starts under the meter

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._started = time.perf_counter()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        if self._started is None:
            return  # the step that installed the meter began before it
        took = time.perf_counter() - self._started
        if took > self.longest_s:
            self.longest_s, self.task = took, task.name

    def reset(self) -> None:
        self.longest_s, self.task = 0.0, ""
