"""How long a block takes, from the header times of the last blocks: the verifier's clock for
attest windows.

A committee member must attest within ``attest_blocks`` blocks of being sampled. A download that
outlasts them is wasted, and while it lasts the member cannot challenge a provider that does not
serve its outputs, which it must do by the attest deadline to be spared the liveness slash
(docs/compute.md). So the verifier gives a fetch only the time the blocks left are expected to
take, at the pace the last blocks were made.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

WINDOW = 32  # heights remembered: the pace of the last half-minute or so
DEFAULT_BLOCK_S = 1.0  # before two heights were seen: the default timeout_commit_s's pace


@dataclass
class BlockPace:
    _seen: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=WINDOW))

    def observe(self, height: int, at_s: float) -> None:
        """Block ``height``'s header time is ``at_s`` (seconds)."""
        if not self._seen or height > self._seen[-1][0]:
            self._seen.append((height, at_s))

    def seconds_per_block(self) -> float:
        if len(self._seen) < 2:
            return DEFAULT_BLOCK_S
        (first_height, first_s), (last_height, last_s) = self._seen[0], self._seen[-1]
        return max(last_s - first_s, 0.0) / (last_height - first_height)

    def seconds_for(self, blocks: int) -> float:
        """How long ``blocks`` blocks are expected to take (0 for none)."""
        return max(blocks, 0) * self.seconds_per_block()
