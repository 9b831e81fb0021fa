"""The pace of blocks the verifier budgets its fetches with."""

from __future__ import annotations

from node.blockpace import DEFAULT_BLOCK_S, WINDOW, BlockPace


def test_the_default_until_two_heights_were_seen() -> None:
    pace = BlockPace()
    assert pace.seconds_per_block() == DEFAULT_BLOCK_S
    pace.observe(10, 100.0)
    assert pace.seconds_per_block() == DEFAULT_BLOCK_S
    pace.observe(12, 101.0)
    assert pace.seconds_per_block() == 0.5


def test_a_jump_of_heights_counts_every_block_in_it() -> None:
    """The verifier sees no height while it fetches: the next it sees may be several later."""
    pace = BlockPace()
    pace.observe(5, 0.0)
    pace.observe(6, 0.25)
    pace.observe(13, 2.0)
    assert pace.seconds_per_block() == 0.25
    assert pace.seconds_for(8) == 2.0
    assert pace.seconds_for(0) == 0.0 and pace.seconds_for(-3) == 0.0


def test_only_the_last_heights_count_and_no_height_twice() -> None:
    pace = BlockPace()
    for height in range(WINDOW):
        pace.observe(height, 10.0 * height)  # slow at first
    for height in range(WINDOW, 2 * WINDOW):
        pace.observe(height, 10.0 * WINDOW + (height - WINDOW + 1) * 0.5)
    assert pace.seconds_per_block() == 0.5  # the slow heights were forgotten
    pace.observe(2 * WINDOW - 1, 1e9)  # seen again, later: not a new height
    pace.observe(3, 1e9)
    assert pace.seconds_per_block() == 0.5
