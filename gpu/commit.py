"""Commitments to job outputs: canonical bytes and the chunked Merkle tree, on the fast path.

- Canonical bytes of an output tensor: int32 little-endian, row-major. The committed outputs are
  the tensors of the job's plan, in plan order.
- Each tensor's bytes are cut into 1 KiB chunks (256 entries; the last chunk of a tensor may be
  shorter), and the chunks of all tensors, in order, are the leaves of the tree (gpu/merkle.py:
  keyed BLAKE3 leaves and nodes, RFC 6962's shape). `output_root` is its root, and
  result_root = SHA-256("depind/pouw/result/v1" || spec_digest || output_root) binds it to one
  job, so a correct output of another job cannot stand in.
- An entry is proven by the chunk holding it and its path (~1.7 KB at 2^28 entries); a row by
  the run of chunks holding it and at most two hashes per level.

gpu/merkle.py is the reference (pure Python, what the chain runs); this module computes the same
tree from NumPy arrays with the compiled BLAKE3 of gpu/hash_kernels.py, in a thread pool when
given one (the kernel releases the GIL). Tests hold the two equal.
"""

import sys
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gpu.header import result_root as result_root  # re-exported beside the commitment
from gpu.merkle import (
    CHUNK_BYTES,
    LEAF_KEY,
    NODE_KEY,
    ChunkedCommitment,
    ChunkLayout,
    Digest,
    MerkleTree,
    chunk_leaves,
    leaf_hash,
    merkle_tree,
)

OUTPUT_DTYPE = np.dtype("<i4")
# Below this many leaves the `blake3` package is quicker than loading the compiled kernel.
FAST_LEAVES = 256
HASH_PARTS = 8  # tasks per tensor when a pool hashes
WORDS_PER_CHUNK = CHUNK_BYTES // 4
# The kernel reads message words in the host's byte order, which must be BLAKE3's (little-endian).
KERNEL_USABLE = sys.byteorder == "little"


@dataclass(frozen=True)
class DigestArray:
    """A level of a tree as an (n x 32) uint8 array, indexed like a tuple of digests."""

    array: NDArray[np.uint8]

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index: int) -> Digest:
        return bytes(self.array[index])


def canonical_bytes(array: NDArray[Any]) -> bytes:
    return np.ascontiguousarray(array, dtype=OUTPUT_DTYPE).tobytes()


def output_layout(outputs: Sequence[NDArray[Any]]) -> ChunkLayout:
    return ChunkLayout(
        tuple((int(out.shape[0]), int(out.shape[1])) for out in outputs), OUTPUT_DTYPE.itemsize
    )


def commit_outputs(outputs: Sequence[NDArray[np.int32]], pool: Executor | None = None) -> ChunkedCommitment:
    """The commitment to `outputs`, hashing in `pool` when given."""
    tensors = [np.ascontiguousarray(out, dtype=OUTPUT_DTYPE) for out in outputs]
    return commit_arrays(output_layout(tensors), tensors, pool)


def commit_arrays(
    layout: ChunkLayout, arrays: Sequence[NDArray[Any]], pool: Executor | None = None
) -> ChunkedCommitment:
    """Commit C-contiguous little-endian arrays laid out as `layout` says (outputs, or C r)."""
    if pool is not None:
        return start_commit(layout, arrays, pool).result()
    views = _views(arrays)
    return ChunkedCommitment(layout, views, fast_tree(np.concatenate([chunk_hashes(view) for view in views])))


@dataclass(frozen=True)
class PendingCommitment:
    """Chunk hashing running in a pool; `result` waits for it and builds the tree."""

    layout: ChunkLayout
    views: tuple[memoryview, ...]
    parts: tuple[Future[NDArray[np.uint8]], ...]

    def result(self) -> ChunkedCommitment:
        leaves = np.concatenate([part.result() for part in self.parts])
        return ChunkedCommitment(self.layout, self.views, fast_tree(leaves))


def start_commit(layout: ChunkLayout, arrays: Sequence[NDArray[Any]], pool: Executor) -> PendingCommitment:
    """Queue the chunk hashing of `arrays` in `pool`, in parts of at least FAST_LEAVES chunks
    (at most HASH_PARTS per tensor): the kernel releases the GIL, so parts run on every core."""
    views = _views(arrays)
    parts = []
    for view in views:
        chunks = -(-len(view) // CHUNK_BYTES)
        step = max(FAST_LEAVES, -(-chunks // HASH_PARTS))
        for first in range(0, chunks, step):
            part = view[first * CHUNK_BYTES : (first + step) * CHUNK_BYTES]
            parts.append(pool.submit(chunk_hashes, part))
    return PendingCommitment(layout, views, tuple(parts))


def chunk_hashes(data: memoryview) -> NDArray[np.uint8]:
    """The leaf hash of every 1 KiB chunk of `data` (n x 32): the kernel for whole chunks, the
    `blake3` package for a short last chunk or a small tensor."""
    full = len(data) // CHUNK_BYTES
    if full < FAST_LEAVES or not KERNEL_USABLE:
        return _as_array(chunk_leaves(data))
    from gpu import hash_kernels  # Numba takes ~0.6 s to import: only large commitments pay it

    words = np.frombuffer(data, np.uint32, count=full * WORDS_PER_CHUNK).reshape(full, WORDS_PER_CHUNK)
    parts = [hash_kernels.keyed_digests(words, LEAF_KEY)]
    tail = data[full * CHUNK_BYTES :]
    if len(tail):
        parts.append(_as_array([leaf_hash(tail)]))
    return np.concatenate(parts)


def fast_tree(leaves: NDArray[np.uint8]) -> MerkleTree:
    """The tree over leaf hashes (n x 32), each level hashed by the kernel while it is large."""
    if len(leaves) < FAST_LEAVES or not KERNEL_USABLE:
        return merkle_tree([leaf.tobytes() for leaf in leaves])
    from gpu import hash_kernels

    levels = [leaves]
    while len(levels[-1]) >= FAST_LEAVES:
        level = levels[-1]
        pairs = level[: len(level) // 2 * 2].reshape(-1, 2 * 32).view("<u4")
        parents = hash_kernels.keyed_digests(pairs, NODE_KEY)
        levels.append(np.concatenate([parents, level[len(level) // 2 * 2 :]]))  # a lone last node moves up
    top = tuple(DigestArray(level) for level in levels)
    rest = merkle_tree([digest.tobytes() for digest in levels[-1]]).levels[1:]
    return MerkleTree(top + rest)


def tree_of(leaves: Sequence[Digest]) -> MerkleTree:
    """The tree over leaf hashes given as bytes (the fast path for large trees)."""
    return fast_tree(_as_array(leaves))


def _views(arrays: Sequence[NDArray[Any]]) -> tuple[memoryview, ...]:
    return tuple(memoryview(array.data).cast("B") for array in arrays)


def _as_array(digests: Sequence[Digest]) -> NDArray[np.uint8]:
    return np.frombuffer(b"".join(digests), np.uint8).reshape(len(digests), 32)
