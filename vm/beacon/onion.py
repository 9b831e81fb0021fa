"""Hash onions: a validator commits to the end of a hash chain and reveals it backwards.

``tip = H^N(seed)``; the k-th reveal is ``H^(N-k)(seed)``, checked by one hash
against the previous one. Every reveal is fixed when the tip is committed, so a
proposer's only choice is whether to propose at all.
"""

from __future__ import annotations

import hashlib

ONION_LENGTH = 1 << 16  # reveals per commitment
CHECKPOINT_EVERY = 256
DIGEST_SIZE = 32


def step(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def walk(value: bytes, steps: int) -> bytes:
    for _ in range(steps):
        value = step(value)
    return value


class Onion:
    """The chain of one seed, with checkpoints so any layer costs at most
    ``CHECKPOINT_EVERY`` hashes (the proposer's side; verifying needs one hash)."""

    def __init__(self, seed: bytes, length: int = ONION_LENGTH) -> None:
        self.length = length
        self._checkpoints = [seed]
        for _ in range(length // CHECKPOINT_EVERY):
            self._checkpoints.append(walk(self._checkpoints[-1], CHECKPOINT_EVERY))

    def layer(self, depth: int) -> bytes:
        """``H^depth(seed)``; the tip is ``layer(length)``."""
        if not 0 <= depth <= self.length:
            raise ValueError(f"layer {depth} is outside the onion (0..{self.length})")
        index, rest = divmod(depth, CHECKPOINT_EVERY)
        return walk(self._checkpoints[index], rest)

    def tip(self) -> bytes:
        return self.layer(self.length)
