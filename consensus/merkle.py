"""RFC 6962 binary Merkle trees, as CometBFT hashes tx lists, validator sets and
block parts, and proofs that an item is a leaf of one (CometBFT's ``merkle.Proof``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated

import msgspec

from consensus.codec import Canonical

EMPTY_HASH = hashlib.sha256(b"").digest()
HASH_SIZE = 32
MAX_AUNTS = 100
"""CometBFT's MaxAunts: a tree of 2^100 leaves, and a cap on what a hostile proof costs."""

Hash = Annotated[bytes, msgspec.Meta(min_length=HASH_SIZE, max_length=HASH_SIZE)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


def leaf_hash(leaf: bytes) -> bytes:
    digest = hashlib.sha256(b"\x00")
    digest.update(leaf)  # no concatenated copy of a large leaf (a 64 KiB block part)
    return digest.digest()


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
    split = _split_point(len(hashes))
    return inner_hash(_root(hashes[:split]), _root(hashes[split:]))


def _split_point(length: int) -> int:
    """The largest power of two below ``length`` (> 1): the size of the left subtree."""
    return 1 << ((length - 1).bit_length() - 1)


# ---- proofs ------------------------------------------------------------------------------------


class Proof(Canonical, frozen=True):
    """That ``leaf_hash`` is leaf ``index`` of a tree of ``total`` leaves: ``aunts`` are the
    sibling subtree roots from the leaf's up to the root's children (CometBFT's order)."""

    total: Count
    index: Count
    leaf_hash: Hash
    aunts: Annotated[list[Hash], msgspec.Meta(max_length=MAX_AUNTS)]


def merkle_proofs(items: Sequence[bytes]) -> tuple[bytes, list[Proof]]:
    """The root over ``items`` and a proof for each, hashing every item once."""
    leaves = [leaf_hash(item) for item in items]
    if not leaves:
        return EMPTY_HASH, []
    aunts: list[list[bytes]] = [[] for _ in leaves]
    root = _root_collecting(leaves, 0, aunts)
    return root, [Proof(len(leaves), index, leaves[index], aunts[index]) for index in range(len(leaves))]


def merkle_proof(items: Sequence[bytes], index: int) -> Proof:
    """The proof that ``items[index]`` is leaf ``index`` of ``merkle_root(items)``."""
    if not 0 <= index < len(items):
        raise IndexError(f"no item {index} among {len(items)}")
    return merkle_proofs(items)[1][index]


def _root_collecting(hashes: Sequence[bytes], offset: int, aunts: list[list[bytes]]) -> bytes:
    """``_root(hashes)``, appending to the aunts of each leaf below the sibling of its subtree
    at every level, deepest first (``offset``: the index of ``hashes[0]`` among all leaves)."""
    if len(hashes) == 1:
        return hashes[0]
    split = _split_point(len(hashes))
    left = _root_collecting(hashes[:split], offset, aunts)
    right = _root_collecting(hashes[split:], offset + split, aunts)
    for index in range(offset, offset + split):
        aunts[index].append(right)
    for index in range(offset + split, offset + len(hashes)):
        aunts[index].append(left)
    return inner_hash(left, right)


def verify_proof(root: bytes, proof: Proof, leaf: bytes) -> bool:
    """Whether ``proof`` shows ``leaf`` under ``root``. The proof binds the leaf's path from
    the root, so a caller that expects a given ``total`` (a part set's) checks it itself."""
    if len(proof.aunts) > MAX_AUNTS or any(len(aunt) != HASH_SIZE for aunt in proof.aunts):
        return False  # cheap checks first: a hostile proof costs no hashing
    path = _path(proof.index, proof.total)
    if path is None or len(path) != len(proof.aunts):
        return False
    if proof.leaf_hash != leaf_hash(leaf):
        return False
    node = proof.leaf_hash
    for leaf_went_left, aunt in zip(reversed(path), proof.aunts, strict=True):
        node = inner_hash(node, aunt) if leaf_went_left else inner_hash(aunt, node)
    return node == root


def _path(index: int, total: int) -> list[bool] | None:
    """The turns from the root down to leaf ``index`` of ``total`` (True: into the left
    subtree); None for an index outside the tree. At most 63 turns for a 63-bit total."""
    if not 0 <= index < total:
        return None
    turns: list[bool] = []
    while total > 1:
        split = _split_point(total)
        turns.append(index < split)
        if index >= split:
            index, total = index - split, total - split
        else:
            total = split
    return turns
