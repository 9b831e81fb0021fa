"""Round timeouts: ``timeout_X + round * delta`` (DESIGN.md "Consensus")."""

from __future__ import annotations

from dataclasses import dataclass

from consensus.tendermint.messages import Step


@dataclass(frozen=True)
class TimeoutConfig:
    """Devnet defaults: propose 1 s, prevote and precommit 0.5 s, +0.25 s per round, commit 1 s.

    ``commit_s`` is for the driver: after a decision it waits this long (so late
    precommits can still arrive) before it starts the next height."""

    propose_s: float = 1.0
    prevote_s: float = 0.5
    precommit_s: float = 0.5
    delta_s: float = 0.25
    commit_s: float = 1.0

    def __post_init__(self) -> None:
        durations = (self.propose_s, self.prevote_s, self.precommit_s, self.delta_s, self.commit_s)
        if any(d < 0 for d in durations):
            raise ValueError(f"timeouts must not be negative: {self}")

    def duration(self, step: Step, round_: int) -> float:
        """timeoutPropose / timeoutPrevote / timeoutPrecommit of ``round_`` (paper lines 21, 35, 48)."""
        base = {Step.PROPOSE: self.propose_s, Step.PREVOTE: self.prevote_s, Step.PRECOMMIT: self.precommit_s}
        return base[step] + round_ * self.delta_s
