"""What the engines report as they decide heights, for the node to export (CometBFT's
``consensus.Metrics`` and ``state.Metrics`` in spirit).

Both engines call the same three methods: a height starts (with the validators that
decide it), a round is entered, a block is committed (with the time its execution,
storage and commit took). This base records nothing, so simulations and tests pass
``NO_METRICS``; the node overrides the methods with Prometheus instruments
(node/metrics/consensus.py). Each call is made once per height or round, never per
message, and must return at once: the engine's one task waits on it.
"""

from __future__ import annotations

from consensus.types import Block
from consensus.validators import ValidatorSet


class ConsensusMetrics:
    def height_started(self, height: int, validators: ValidatorSet) -> None:
        """Deciding ``height`` begins, at round 0, by ``validators``."""

    def round_entered(self, round_: int) -> None:
        """The height being decided moved on to ``round_`` (above 0)."""

    def block_committed(self, block: Block, processing_s: float) -> None:
        """``block`` is executed, stored and committed; that took ``processing_s``."""


NO_METRICS = ConsensusMetrics()
