"""BFT time: a block's time comes from its validators' votes, not from one clock.

As in CometBFT v0.38's BFT Time (spec/consensus/bft-time.md; ``voteTime`` in
consensus/state.go, ``MedianTime`` in state/state.go, ``WeightedMedian`` in
types/time/time.go):

- a vote for a block carries ``vote_time``: the voter's clock, but at least the
  block's time + 1 ms; a nil vote carries the voter's clock;
- a block's time is ``median_time`` of its last commit: the voting-power-weighted
  median of the timestamps of the commit's COMMIT entries, weighted by the set
  that decided the previous height. The first block has the genesis time.

So no proposer chooses a time. While less than a third of the power is faulty,
more than half of the COMMIT power in any commit is honest, and the median lies
between two honest precommits' times: it is at least the previous block's time
+ 1 ms, as every honest precommit for that block is, and no faulty validator can
move it past what honest clocks say.

Two details differ from CometBFT's code, each to keep that bound:

- Only COMMIT entries count. CometBFT's ``MedianTime`` also counts NIL entries;
  its spec says nil votes are not taken into account, and here a nil vote
  carries a bare clock, which may be behind the previous block's time.
- The median is the first time, in time order, at which the cumulative power
  exceeds half the counted power. CometBFT's ``WeightedMedian`` stops once it
  reaches ``total / 2`` (integer division), which faulty power alone can reach:
  with four validators of power 1, one of them faulty, a commit that lacks one
  honest validator would take the faulty one's time whenever it is the earliest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from consensus.types import BlockIDFlag, Commit
from consensus.validators import ValidatorSet

Clock = Callable[[], int]
"""A node's wall clock: ns since the Unix epoch (``time.time_ns`` on a node)."""

MIN_BLOCK_INTERVAL_NS = 1_000_000
"""A vote for a block carries at least the block's time plus this (CometBFT's timeIota),
so block times strictly increase, by at least a millisecond."""


def vote_time(now_ns: int, block_time_ns: int) -> int:
    """The timestamp of a vote for a block of time ``block_time_ns`` (CometBFT's ``voteTime``)."""
    return max(now_ns, block_time_ns + MIN_BLOCK_INTERVAL_NS)


def weighted_median(times: Iterable[tuple[int, int]]) -> int:
    """The median of ``(time, power)`` pairs, each time counted ``power`` times: the first
    time in time order at which the cumulative power exceeds half the total."""
    ordered = sorted(times)
    total = sum(power for _, power in ordered)
    cumulative = 0
    for time_ns, power in ordered:
        cumulative += power
        if 2 * cumulative > total:
            return time_ns
    raise ValueError("no voting power to take the median of")


def median_time(commit: Commit, validators: ValidatorSet) -> int:
    """The time of the block that carries ``commit``; ``validators`` decided the commit's
    height, one per entry in set order (as ``verify_commit`` checks)."""
    return weighted_median(
        (sig.timestamp_ns, validator.voting_power)
        for validator, sig in zip(validators.validators, commit.signatures, strict=True)
        if sig.block_id_flag == BlockIDFlag.COMMIT
    )
