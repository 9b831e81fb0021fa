"""Commitments to job outputs: canonical bytes, a BLAKE3 Merkle tree over rows, proofs.

- Canonical bytes of an output tensor: int32 little-endian, row-major. The committed outputs are
  the tensors of the job's plan, in plan order; their rows, in that order, are the tree's leaves.
- The tree has RFC 6962's shape (Certificate Transparency): split at the largest power of two
  below the size, a lone last node promoted unchanged (rather than duplicated, so two different
  row lists never share a root). leaf = BLAKE3 keyed with LEAF_KEY over the row bytes, node =
  BLAKE3 keyed with NODE_KEY over left || right: the two keys, like RFC 6962's 0x00 / 0x01
  prefixes, keep a leaf from passing as a node. BLAKE3 rather than SHA-256 because both the
  provider and every verifier hash the whole output: on one x86 core BLAKE3 hashes 16 KiB rows
  about 3x faster than SHA-256 (docs/benchmarks.md), and a key, unlike a prefix byte, keeps each
  row aligned to BLAKE3's 1 KiB chunks, where its SIMD code runs.
- result_root = SHA-256("depind/pouw/result/v1" || spec_digest || output_root): a root commits to
  one spec's outputs, so a correct output of another job cannot stand in.

A row proof is a `RowOpening` (leaf index, row bytes, sibling path); an entry proof is a row
opening plus the column to read.
"""

import hashlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import blake3
import msgspec
import numpy as np
from numpy.typing import NDArray

LEAF_KEY = blake3.blake3(b"depind/pouw/merkle/leaf/v1").digest()
NODE_KEY = blake3.blake3(b"depind/pouw/merkle/node/v1").digest()
RESULT_TAG = b"depind/pouw/result/v1"
OUTPUT_DTYPE = np.dtype("<i4")
HASH_PARTS = 8  # tasks per tensor when a pool hashes

Digest = bytes


class RowOpening(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Row `leaf` of the committed outputs with the sibling hashes from leaf to root."""

    leaf: int
    row: bytes  # canonical bytes: int32 little-endian
    path: list[bytes]

    def values(self) -> NDArray[np.int32]:
        return np.frombuffer(self.row, dtype=OUTPUT_DTYPE).astype(np.int32)


@dataclass(frozen=True)
class MerkleTree:
    """Every level from leaves (levels[0]) to the root; a lone last node is promoted unchanged."""

    levels: tuple[tuple[Digest, ...], ...]

    @property
    def root(self) -> Digest:
        return self.levels[-1][0]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def path(self, index: int) -> list[Digest]:
        if not 0 <= index < self.size:
            raise IndexError(f"leaf {index} is outside a tree of {self.size} leaves")
        path = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


@dataclass(frozen=True)
class Commitment:
    """The tree over all output rows, and where each tensor's rows start in it."""

    tree: MerkleTree
    offsets: tuple[int, ...]

    @property
    def output_root(self) -> Digest:
        return self.tree.root

    def leaf(self, tensor: int, row: int) -> int:
        return self.offsets[tensor] + row


def canonical_bytes(array: NDArray[Any]) -> bytes:
    return np.ascontiguousarray(array, dtype=OUTPUT_DTYPE).tobytes()


def leaf_hash(row_bytes: bytes | memoryview) -> Digest:
    return blake3.blake3(row_bytes, key=LEAF_KEY).digest()


def node_hash(left: Digest, right: Digest) -> Digest:
    return blake3.blake3(left + right, key=NODE_KEY).digest()


def result_root(spec_digest: Digest, output_root: Digest) -> Digest:
    return hashlib.sha256(RESULT_TAG + spec_digest + output_root).digest()


def leaf_offsets(shapes: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """The leaf index of each tensor's first row; the last entry is the total row count."""
    offsets = [0]
    for rows, _ in shapes:
        offsets.append(offsets[-1] + rows)
    return tuple(offsets)


def commit_outputs(
    outputs: Sequence[NDArray[np.int32]], pool: ThreadPoolExecutor | None = None
) -> Commitment:
    """Hash every row (in `pool` when given) and build the tree."""
    if pool is None:
        tensors = _canonical_tensors(outputs)
        leaves = [leaf for tensor in tensors for leaf in hash_rows(tensor)]
        return Commitment(merkle_tree(leaves), _offsets(tensors))
    return start_commit(outputs, pool).result()


@dataclass(frozen=True)
class PendingCommitment:
    """Row hashing running in a thread pool; `result` waits for it and builds the tree."""

    chunks: tuple[Future[list[Digest]], ...]
    offsets: tuple[int, ...]

    def result(self) -> Commitment:
        leaves = [leaf for chunk in self.chunks for leaf in chunk.result()]
        return Commitment(merkle_tree(leaves), self.offsets)


def start_commit(outputs: Sequence[NDArray[np.int32]], pool: ThreadPoolExecutor) -> PendingCommitment:
    """Hash the rows of each tensor in HASH_PARTS tasks of `pool`.

    BLAKE3 releases the GIL while it hashes a row, so tasks run side by side; for rows of 16 KiB or
    less, though, handing the GIL over between rows costs about what the second thread gains.
    """
    tensors = _canonical_tensors(outputs)
    chunks = [pool.submit(hash_rows, part) for tensor in tensors for part in _split_rows(tensor, HASH_PARTS)]
    return PendingCommitment(tuple(chunks), _offsets(tensors))


def hash_rows(tensor: NDArray[Any]) -> list[Digest]:
    """Leaf hashes of a C-contiguous little-endian int32 matrix, without copying rows."""
    row_bytes = tensor.shape[1] * tensor.itemsize
    data = tensor.data.cast("B")  # one view sliced per row: cheaper than a NumPy row each
    return [leaf_hash(data[start : start + row_bytes]) for start in range(0, len(data), row_bytes)]


def merkle_tree(leaves: Sequence[Digest]) -> MerkleTree:
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    levels = [tuple(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            parents.append(level[-1])
        levels.append(tuple(parents))
    return MerkleTree(tuple(levels))


def merkle_root_reference(leaves: Sequence[Digest]) -> Digest:
    """RFC 6962 section 2.1 as written (recursive); the reference `merkle_tree` is tested against."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(merkle_root_reference(leaves[:split]), merkle_root_reference(leaves[split:]))


def verify_path(leaf: Digest, index: int, size: int, path: Sequence[Digest], root: Digest) -> bool:
    """Whether `path` leads from leaf number `index` of a `size`-leaf tree to `root`."""
    if not 0 <= index < size:
        return False
    node, remaining = leaf, list(path)
    while size > 1:
        if index % 2 == 0 and index == size - 1:
            pass  # a lone last node moves up unchanged
        elif not remaining:
            return False
        else:
            sibling = remaining.pop(0)
            node = node_hash(sibling, node) if index % 2 else node_hash(node, sibling)
        index, size = index // 2, (size + 1) // 2
    return not remaining and node == root


def open_row(
    commitment: Commitment, outputs: Sequence[NDArray[np.int32]], tensor: int, row: int
) -> RowOpening:
    leaf = commitment.leaf(tensor, row)
    row_bytes = canonical_bytes(outputs[tensor][row])
    return RowOpening(leaf, row_bytes, commitment.tree.path(leaf))


def check_opening(opening: RowOpening, size: int, root: Digest) -> bool:
    return verify_path(leaf_hash(opening.row), opening.leaf, size, opening.path, root)


def _canonical_tensors(outputs: Sequence[NDArray[np.int32]]) -> list[NDArray[Any]]:
    return [np.ascontiguousarray(out, dtype=OUTPUT_DTYPE) for out in outputs]


def _offsets(tensors: Sequence[NDArray[Any]]) -> tuple[int, ...]:
    return leaf_offsets([(int(t.shape[0]), int(t.shape[1])) for t in tensors])


def _split_rows(tensor: NDArray[Any], parts: int) -> list[NDArray[Any]]:
    step = max(1, -(-len(tensor) // parts))
    return [tensor[start : start + step] for start in range(0, len(tensor), step)]
