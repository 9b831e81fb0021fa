"""RFC 6962 binary Merkle trees, as CometBFT hashes tx lists and validator sets."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_HASH = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def inner_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(items: Sequence[bytes]) -> bytes:
    """Root over ``items``: split at the largest power of two below the length."""
    if not items:
        return EMPTY_HASH
    level = [leaf_hash(item) for item in items]
    return _root(level)


def _root(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return inner_hash(_root(hashes[:split]), _root(hashes[split:]))
