"""Merkle trees over 1 KiB chunks, range openings, and the layout of tensors in chunks.

Pure Python integers and bytes, no NumPy: the chain imports this module to check openings.

- leaf = BLAKE3 keyed with LEAF_KEY over the leaf's bytes; node = BLAKE3 keyed with NODE_KEY over
  left || right. The two keys, like RFC 6962's 0x00 / 0x01 prefixes, keep a leaf from passing as
  a node, without shifting the leaf off BLAKE3's 1 KiB chunk boundaries.
- The tree has RFC 6962's shape: level by level, nodes are paired left to right and a lone last
  node is promoted unchanged (never duplicated, so two leaf lists never share a root).
- A tensor (int32 outputs, int64 C r vectors) is committed in chunks of CHUNK_BYTES = 1 KiB of
  its canonical bytes (little-endian, row-major): 256 int32 or 128 int64 entries per leaf, the
  last chunk of a tensor shorter if its size is not a multiple. 1 KiB is one BLAKE3 chunk, the
  unit BLAKE3 compresses on its own, so hashing the leaves takes the compressions that hashing
  the tensor as one message takes (plus the tree's nodes), and an opened entry travels with
  1 KiB of data plus one hash per level (about 1.7 KB at 2^28 entries) instead of its whole row.
- An `Opening` is a run of consecutive leaves with the hashes that lead from them to the root:
  the hashes are taken bottom-up, at each level the left neighbour of the run (if it needs one)
  before the right. For one leaf this is the usual sibling path; for a row spanning many leaves
  it is at most two hashes per level.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import blake3

from gpu.errors import InvalidOpening

Digest = bytes
DIGEST_BYTES = 32
CHUNK_BYTES = 1024
LEAF_KEY = blake3.blake3(b"depind/pouw/merkle/leaf/v1").digest()
NODE_KEY = blake3.blake3(b"depind/pouw/merkle/node/v1").digest()


class Digests(Protocol):
    """A level of a tree: a tuple of digests, or an array of them (gpu/commit.py)."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> Digest: ...


def leaf_hash(data: bytes | memoryview) -> Digest:
    return blake3.blake3(data, key=LEAF_KEY).digest()


def node_hash(left: Digest, right: Digest) -> Digest:
    return blake3.blake3(left + right, key=NODE_KEY).digest()


@dataclass(frozen=True)
class Opening:
    """Leaves first .. first + count - 1 (their bytes, concatenated) and the hashes to the root."""

    first: int
    count: int
    data: bytes
    proof: tuple[Digest, ...]


@dataclass(frozen=True)
class MerkleTree:
    """Every level from leaves (levels[0]) to the root."""

    levels: tuple[Digests, ...]

    @property
    def root(self) -> Digest:
        return self.levels[-1][0]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def path(self, index: int) -> tuple[Digest, ...]:
        return self.range_proof(index, 1)

    def range_proof(self, first: int, count: int) -> tuple[Digest, ...]:
        """The hashes that lead from leaves first .. first + count - 1 to the root."""
        if count < 1 or first < 0 or first + count > self.size:
            raise IndexError(f"leaves {first} + {count} are outside a tree of {self.size} leaves")
        low, high, proof = first, first + count - 1, []
        for level in self.levels[:-1]:
            if low % 2 == 1:
                proof.append(level[low - 1])
            if high % 2 == 0 and high + 1 < len(level):
                proof.append(level[high + 1])
            low, high = low // 2, high // 2
        return tuple(proof)


def merkle_tree(leaves: Sequence[Digest]) -> MerkleTree:
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    levels = [tuple(leaves)]
    while len(levels[-1]) > 1:
        levels.append(parent_level(levels[-1]))
    return MerkleTree(tuple(levels))


def parent_level(level: Sequence[Digest]) -> tuple[Digest, ...]:
    parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        parents.append(level[-1])  # a lone last node moves up unchanged
    return tuple(parents)


def merkle_root_reference(leaves: Sequence[Digest]) -> Digest:
    """RFC 6962 section 2.1 as written (recursive); the reference `merkle_tree` is tested against."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(merkle_root_reference(leaves[:split]), merkle_root_reference(leaves[split:]))


def range_root(leaves: Sequence[Digest], first: int, size: int, proof: Sequence[Digest]) -> Digest | None:
    """The root that `leaves`, as leaves first .. of a `size`-leaf tree, and `proof` lead to; None
    when the proof has too few or too many hashes for that position."""
    if not leaves or first < 0 or first + len(leaves) > size:
        return None
    nodes, low, high, used = list(leaves), first, first + len(leaves) - 1, 0
    while size > 1:
        if low % 2 == 1:
            if used == len(proof):
                return None
            nodes.insert(0, proof[used])
            used, low = used + 1, low - 1
        if high % 2 == 0 and high + 1 < size:
            if used == len(proof):
                return None
            nodes.append(proof[used])
            used, high = used + 1, high + 1
        nodes = list(parent_level(nodes))
        low, high, size = low // 2, high // 2, (size + 1) // 2
    return nodes[0] if used == len(proof) else None


def max_proof_hashes(size: int, count: int) -> int:
    """The most hashes `MerkleTree.range_proof` gives for a run of `count` leaves anywhere in a
    `size`-leaf tree. At each level a run of c nodes short of the whole level takes one hash
    beside it if c is odd (its ends cannot both need one) and at most two if c is even, and has
    at most c // 2 + 1 parents; ceil(log2 size) for a single leaf."""
    hashes, span = 0, min(count, size)
    while size > 1:
        if span < size:
            hashes += 1 if span % 2 else min(2, size - span)
        size = (size + 1) // 2
        span = min(span // 2 + 1, size)
    return hashes


def verify_range(
    leaves: Sequence[Digest], first: int, size: int, proof: Sequence[Digest], root: Digest
) -> bool:
    return range_root(leaves, first, size, proof) == root


def verify_path(leaf: Digest, index: int, size: int, path: Sequence[Digest], root: Digest) -> bool:
    """Whether `path` leads from leaf number `index` of a `size`-leaf tree to `root`."""
    return verify_range([leaf], index, size, path, root)


# -- tensors in chunks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkLayout:
    """Where the entries of a list of tensors lie among the leaves of one chunked tree.

    Each tensor's canonical bytes (entries of `entry_bytes` bytes, row-major) are cut into
    CHUNK_BYTES pieces; tensors follow each other, each starting a new leaf.
    """

    shapes: tuple[tuple[int, int], ...]
    entry_bytes: int

    @property
    def per_chunk(self) -> int:
        return CHUNK_BYTES // self.entry_bytes

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        """The first leaf of each tensor; the last item is the number of leaves."""
        offsets = [0]
        for rows, cols in self.shapes:
            offsets.append(offsets[-1] + -(-rows * cols // self.per_chunk))
        return tuple(offsets)

    @property
    def size(self) -> int:
        return self.offsets[-1]

    def leaves(self, tensor: int, first: int, count: int) -> tuple[int, int]:
        """(first leaf, number of leaves) holding entries first .. first + count - 1 of `tensor`."""
        rows, cols = self.shapes[tensor]
        if count < 1 or first < 0 or first + count > rows * cols:
            raise IndexError(f"entries {first} + {count} are outside tensor {tensor} ({rows} x {cols})")
        low, high = first // self.per_chunk, (first + count - 1) // self.per_chunk
        return self.offsets[tensor] + low, high - low + 1

    def span_bytes(self, tensor: int, first_leaf: int, count: int) -> tuple[int, int]:
        """The byte range of leaves first_leaf .. first_leaf + count - 1 within `tensor`'s bytes."""
        rows, cols = self.shapes[tensor]
        start = (first_leaf - self.offsets[tensor]) * CHUNK_BYTES
        stop = min(start + count * CHUNK_BYTES, rows * cols * self.entry_bytes)
        return start, stop

    def leaf_sizes(self, tensor: int, first_leaf: int, count: int) -> list[int]:
        start, stop = self.span_bytes(tensor, first_leaf, count)
        return [min(CHUNK_BYTES, stop - offset) for offset in range(start, stop, CHUNK_BYTES)]


def chunk_leaves(data: bytes | memoryview) -> list[Digest]:
    """Leaf hashes of a tensor's canonical bytes, chunk by chunk (the reference)."""
    view = memoryview(data).cast("B")
    return [leaf_hash(view[start : start + CHUNK_BYTES]) for start in range(0, len(view), CHUNK_BYTES)]


@dataclass(frozen=True)
class ChunkedCommitment:
    """Tensors' canonical bytes and the chunked tree over them; opens runs of entries."""

    layout: ChunkLayout
    tensors: tuple[bytes | memoryview, ...]
    tree: MerkleTree

    @property
    def root(self) -> Digest:
        return self.tree.root

    def open_entries(self, tensor: int, first: int, count: int) -> Opening:
        """The leaves holding entries first .. first + count - 1 (row-major) of `tensor`."""
        leaf, leaves = self.layout.leaves(tensor, first, count)
        start, stop = self.layout.span_bytes(tensor, leaf, leaves)
        data = bytes(memoryview(self.tensors[tensor]).cast("B")[start:stop])
        return Opening(leaf, leaves, data, self.tree.range_proof(leaf, leaves))

    def open_leaf(self, leaf: int) -> Opening:
        """Leaf `leaf` of the tree (a chunk of whichever tensor holds it) with its path: what an
        availability challenge asks for."""
        if not 0 <= leaf < self.layout.size:
            raise IndexError(f"leaf {leaf} is outside a tree of {self.layout.size} leaves")
        tensor = max(t for t, first in enumerate(self.layout.offsets[:-1]) if first <= leaf)
        start, stop = self.layout.span_bytes(tensor, leaf, 1)
        data = bytes(memoryview(self.tensors[tensor]).cast("B")[start:stop])
        return Opening(leaf, 1, data, self.tree.path(leaf))


def commit_chunks(layout: ChunkLayout, tensors: Sequence[bytes | memoryview]) -> ChunkedCommitment:
    """Commit tensors given as canonical bytes (the reference; gpu/commit.py has the fast path)."""
    check_tensor_sizes(layout, tensors)
    leaves = [leaf for data in tensors for leaf in chunk_leaves(data)]
    return ChunkedCommitment(layout, tuple(tensors), merkle_tree(leaves))


def check_tensor_sizes(layout: ChunkLayout, tensors: Sequence[bytes | memoryview]) -> None:
    if len(tensors) != len(layout.shapes):
        raise ValueError(f"the layout has {len(layout.shapes)} tensors, {len(tensors)} were given")
    for index, ((rows, cols), data) in enumerate(zip(layout.shapes, tensors, strict=True)):
        if memoryview(data).nbytes != rows * cols * layout.entry_bytes:
            raise ValueError(f"tensor {index} holds {memoryview(data).nbytes} bytes, not {rows} x {cols}")


def opened_entries(
    layout: ChunkLayout, root: Digest, opening: Opening, tensor: int, first: int, count: int
) -> list[int]:
    """Entries first .. first + count - 1 of `tensor`, from an opening checked against `root`."""
    leaf, leaves = layout.leaves(tensor, first, count)
    if (opening.first, opening.count) != (leaf, leaves):
        raise InvalidOpening(
            f"the opening holds leaves {opening.first} + {opening.count}, "
            f"the entries are in leaves {leaf} + {leaves}"
        )
    sizes = layout.leaf_sizes(tensor, leaf, leaves)
    if len(opening.data) != sum(sizes):
        raise InvalidOpening(f"the opening of leaf {leaf} holds {len(opening.data)} bytes, not {sum(sizes)}")
    hashes, offset = [], 0
    for size in sizes:
        hashes.append(leaf_hash(opening.data[offset : offset + size]))
        offset += size
    if not verify_range(hashes, leaf, layout.size, opening.proof, root):
        raise InvalidOpening(f"the Merkle proof of leaf {leaf} does not lead to the root")
    skip = first - (leaf - layout.offsets[tensor]) * layout.per_chunk
    width = layout.entry_bytes
    return [
        int.from_bytes(opening.data[(skip + i) * width : (skip + i + 1) * width], "little", signed=True)
        for i in range(count)
    ]


def opened_leaf(opening: Opening, leaf: int, size: int, root: Digest) -> bytes:
    """The bytes of leaf `leaf` of a `size`-leaf tree, from an opening checked against `root`."""
    if (opening.first, opening.count) != (leaf, 1):
        raise InvalidOpening(f"the opening holds leaves {opening.first} + {opening.count}, not leaf {leaf}")
    if not verify_path(leaf_hash(opening.data), leaf, size, opening.proof, root):
        raise InvalidOpening(f"the Merkle path of leaf {leaf} does not lead to the root")
    return opening.data
