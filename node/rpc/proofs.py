"""Merkle proofs that a tx is in a block: CometBFT's ``TxProof`` against the header's
``data_hash``, the RFC 6962 root over the txs' SHA-256 hashes (``consensus.types.Data``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from consensus.merkle import EMPTY_HASH, inner_hash, leaf_hash


@dataclass(frozen=True)
class TxProof:
    root_hash: bytes
    tx: bytes
    total: int
    index: int
    leaf_hash: bytes
    aunts: list[bytes]  # sibling subtree roots, from the leaf's up to the root's children


def split_point(size: int) -> int:
    """The largest power of two below ``size`` (> 1): where RFC 6962 splits a subtree."""
    return 1 << ((size - 1).bit_length() - 1)


class TxTree:
    """The Merkle tree over one block's txs. Subtree roots are kept once computed, so
    proofs of several txs of a block hash each node at most once."""

    def __init__(self, txs: list[bytes]) -> None:
        self.txs = txs
        self.leaves = [leaf_hash(hashlib.sha256(tx).digest()) for tx in txs]
        self._roots: dict[tuple[int, int], bytes] = {}

    def root(self, low: int = 0, high: int | None = None) -> bytes:
        """The root of leaves ``low`` up to (not including) ``high``."""
        high = len(self.leaves) if high is None else high
        if high == low:
            return EMPTY_HASH
        if high - low == 1:
            return self.leaves[low]
        found = self._roots.get((low, high))
        if found is None:
            middle = low + split_point(high - low)
            found = inner_hash(self.root(low, middle), self.root(middle, high))
            self._roots[(low, high)] = found
        return found

    def prove(self, index: int) -> TxProof:
        low, high = 0, len(self.leaves)
        aunts = []
        while high - low > 1:
            middle = low + split_point(high - low)
            if index < middle:
                aunts.append(self.root(middle, high))
                high = middle
            else:
                aunts.append(self.root(low, middle))
                low = middle
        aunts.reverse()  # CometBFT lists them from the leaf up
        return TxProof(self.root(), self.txs[index], len(self.leaves), index, self.leaves[index], aunts)
