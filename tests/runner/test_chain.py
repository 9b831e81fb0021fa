"""Reading a commit: an absent vote names no validator, so the votes are matched with the
validator set in its order, and a commit that does not line up with the set is refused."""

from __future__ import annotations

from typing import Any

import pytest

from consensus.types import BlockIDFlag
from tests.runner.chain import CommitMismatch, split_votes

A, B, C = "AA" * 20, "BB" * 20, "CC" * 20


def vote(flag: BlockIDFlag, address: str = "") -> dict[str, Any]:
    return {"block_id_flag": int(flag), "validator_address": address}


def test_absent_votes_are_matched_by_their_place_in_the_set() -> None:
    signatures = [vote(BlockIDFlag.COMMIT, A), vote(BlockIDFlag.ABSENT), vote(BlockIDFlag.NIL, C)]
    assert split_votes([A, B, C], signatures) == ((A, C), (B,))


def test_no_commit_before_the_first_block() -> None:
    assert split_votes([], []) == ((), ())


def test_invalid_commit_of_another_size_or_order() -> None:
    with pytest.raises(CommitMismatch, match="a commit of 2 votes for a set of 3 validators"):
        split_votes([A, B, C], [vote(BlockIDFlag.COMMIT, A), vote(BlockIDFlag.COMMIT, B)])
    with pytest.raises(CommitMismatch, match=f"{B}'s vote where {A}'s belongs"):
        split_votes([A, B], [vote(BlockIDFlag.COMMIT, B), vote(BlockIDFlag.COMMIT, A)])
