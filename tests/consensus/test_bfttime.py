"""consensus.bfttime: vote times and the weighted median of a commit's vote times.

The vectors follow CometBFT's BFT Time spec (spec/consensus/bft-time.md) where
its rule and ours agree, and show where they differ (an exact half of the power)."""

from __future__ import annotations

import itertools
import random

import pytest

from consensus.bfttime import MIN_BLOCK_INTERVAL_NS, median_time, vote_time, weighted_median
from consensus.types import BlockID, BlockIDFlag, Commit, CommitSig, PartSetHeader
from tests.consensus.tendermint.support import signers, validator_set

KEYS = signers(4)
BLOCK = BlockID(b"\x01" * 32, PartSetHeader(1, b"\x02" * 32))


def test_vote_time_is_the_clock_after_the_block() -> None:
    assert vote_time(5_000_000_000, 1_000_000_000) == 5_000_000_000


def test_vote_time_is_one_interval_after_a_block_ahead_of_the_clock() -> None:
    assert vote_time(1_000_000_000, 5_000_000_000) == 5_000_000_000 + MIN_BLOCK_INTERVAL_NS
    assert vote_time(5_000_000_000, 5_000_000_000) == 5_000_000_000 + MIN_BLOCK_INTERVAL_NS


def test_median_of_the_spec_example() -> None:
    """p1..p4 with powers 23, 27, 10, 10 sent 100, 98, 1000, 500; p3 and p4 are faulty. A
    commit of p2, p3 and p4 has the median 98; one of all four, 100: an honest time."""
    assert weighted_median([(98, 27), (1000, 10), (500, 10)]) == 98
    assert weighted_median([(100, 23), (98, 27), (1000, 10), (500, 10)]) == 100


def test_median_with_equal_powers_is_the_middle_time() -> None:
    assert weighted_median([(30, 1), (10, 1), (20, 1)]) == 20


def test_median_of_an_exact_half_is_the_later_time() -> None:
    """The cumulative power must exceed half: CometBFT's WeightedMedian takes 10 here."""
    assert weighted_median([(10, 1), (20, 1)]) == 20
    assert weighted_median([(10, 23), (20, 24)]) == 20


def test_median_with_a_validator_holding_most_of_the_power() -> None:
    assert weighted_median([(1, 10), (2, 10), (3, 30)]) == 3
    assert weighted_median([(1, 30), (2, 10), (3, 10)]) == 1


def test_median_of_tied_times() -> None:
    assert weighted_median([(5, 1), (9, 1), (5, 1)]) == 5
    assert weighted_median([(5, 10), (5, 10), (7, 20)]) == 7  # 20 of 40 at 5 is only half
    assert weighted_median([(5, 10), (5, 11), (7, 20)]) == 5


def test_median_does_not_depend_on_the_order() -> None:
    times = [(40, 3), (10, 1), (30, 2), (20, 5)]
    assert {weighted_median(list(order)) for order in itertools.permutations(times)} == {20}


def test_median_of_one_time() -> None:
    assert weighted_median([(123, 7)]) == 123


def test_invalid_median_of_nothing() -> None:
    with pytest.raises(ValueError, match="no voting power"):
        weighted_median([])


def test_one_faulty_of_four_cannot_set_the_time_of_a_three_entry_commit() -> None:
    """One faulty validator in a commit of three equal ones (the fourth missing): the
    median stays within the honest times, however early or late its own (CometBFT's
    rule would take the early one)."""
    assert weighted_median([(0, 1), (100, 1), (200, 1)]) == 100
    assert weighted_median([(150, 1), (100, 1), (200, 1)]) == 150
    assert weighted_median([(10**18, 1), (100, 1), (200, 1)]) == 200


def test_median_lies_between_honest_times() -> None:
    """Any commit with more than 2/3 of the power, less than 1/3 of it faulty: the median
    lies within the honest precommits' times, whatever the faulty ones say."""
    rng = random.Random(14)
    for _ in range(2000):
        most = rng.choice([1, 3, 100])  # small powers make the integer rounding matter
        powers = [rng.randint(1, most) for _ in range(rng.randint(1, 10))]
        total = sum(powers)
        order = list(range(len(powers)))
        rng.shuffle(order)
        faulty, power = set(), 0
        for index in order:
            if 3 * (power + powers[index]) < total:
                faulty.add(index)
                power += powers[index]
        committed = [i for i in order if i in faulty or rng.random() < 0.7]
        if 3 * sum(powers[i] for i in committed) <= 2 * total:
            committed = order
        honest = [i for i in committed if i not in faulty]
        times = {i: rng.choice([0, 10**6]) if i in faulty else rng.randint(1, 10**5) for i in committed}
        median = weighted_median([(times[i], powers[i]) for i in committed])
        assert min(times[i] for i in honest) <= median <= max(times[i] for i in honest)


def test_median_time_weighs_commit_entries_by_the_sets_powers() -> None:
    validators = validator_set(KEYS, [40, 30, 20, 10])
    assert [v.voting_power for v in validators.validators] == [40, 30, 20, 10]
    signatures = [
        CommitSig(BlockIDFlag.COMMIT, v.address, time_ns, b"signature")
        for v, time_ns in zip(validators.validators, [1000, 2000, 3000, 4000], strict=True)
    ]
    # 40 at 1000 and 30 at 2000 make 70 of 100; equal powers would give 3000.
    assert median_time(Commit(1, 0, BLOCK, signatures), validators) == 2000


def test_median_time_ignores_absent_and_nil_entries() -> None:
    validators = validator_set(KEYS, [10, 10, 10, 10])
    order = [v.address for v in validators.validators]
    signatures = [
        CommitSig(BlockIDFlag.COMMIT, order[0], 300, b"s"),
        CommitSig(BlockIDFlag.NIL, order[1], 1, b"s"),  # a nil precommit's bare clock
        CommitSig(BlockIDFlag.ABSENT, b"", 0, b""),
        CommitSig(BlockIDFlag.COMMIT, order[3], 100, b"s"),
    ]
    # Counting the nil entry would make the median 100 (CometBFT's MedianTime counts it).
    assert median_time(Commit(1, 0, BLOCK, signatures), validators) == 300


def test_invalid_median_time_of_a_commit_for_another_set() -> None:
    validators = validator_set(KEYS, [10, 10, 10, 10])
    with pytest.raises(ValueError):
        median_time(
            Commit(1, 0, BLOCK, [CommitSig(BlockIDFlag.COMMIT, KEYS[0].address, 5, b"s")]), validators
        )
