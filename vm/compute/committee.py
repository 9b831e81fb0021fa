"""Sampling a job's verifier committee from the beacon, by stake, without replacement.

Draw ``d`` (0, 1, ...) picks among the validators not yet drawn, each with probability
its power over their total power:

    point_d = int(SHA-256("depind/compute/committee/v1" || beacon || job id (8 bytes BE)
                          || d (4 bytes BE)), big-endian) mod remaining_power
    member_d = the validator whose interval of the remaining validators' cumulative power,
               in operator address order, holds point_d

Everything it reads is chain state at the block that samples: the eligible validators and
their powers (the last set given to consensus) and that block's beacon value, which mixes
a reveal that did not exist when the result was committed (docs/compute.md). The modulo
bias is below remaining_power / 2^256 < 2^-192 per draw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from vm.compute.types import Member

COMMITTEE_TAG = b"depind/compute/committee/v1"


def compute_draw_point(beacon: bytes, job_id: int, draw: int, total_power: int) -> int:
    """Where draw ``draw`` lands in [0, total_power)."""
    message = COMMITTEE_TAG + beacon + job_id.to_bytes(8, "big") + draw.to_bytes(4, "big")
    return int.from_bytes(hashlib.sha256(message).digest(), "big") % total_power


def pick(candidates: Sequence[Member], point: int) -> int:
    """The index of the candidate whose power interval holds ``point``."""
    reached = 0
    for index, candidate in enumerate(candidates):
        reached += candidate.power
        if point < reached:
            return index
    raise ValueError(f"point {point} is beyond the candidates' total power {reached}")


def sample_committee(eligible: Sequence[Member], size: int, beacon: bytes, job_id: int) -> list[Member]:
    """``min(size, len(eligible))`` members drawn by power without replacement, in draw order;
    ``eligible`` in operator address order, every power positive."""
    remaining = sorted(eligible, key=lambda member: member.operator)
    drawn: list[Member] = []
    for draw in range(min(size, len(remaining))):
        total = sum(member.power for member in remaining)
        drawn.append(remaining.pop(pick(remaining, compute_draw_point(beacon, job_id, draw, total))))
    return drawn
