"""The chunked Merkle tree (pure Python, what the chain runs): hashes, RFC 6962 shape, range
openings, the layout of tensors in 1 KiB chunks, and checked openings."""

from __future__ import annotations

import hashlib

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu.errors import InvalidOpening
from gpu.merkle import (
    CHUNK_BYTES,
    LEAF_KEY,
    NODE_KEY,
    ChunkLayout,
    Opening,
    commit_chunks,
    leaf_hash,
    merkle_root_reference,
    merkle_tree,
    node_hash,
    opened_entries,
    opened_leaf,
    range_root,
    verify_path,
    verify_range,
)


def _leaves(count: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(count)]


def _int32s(values: list[int]) -> bytes:
    return b"".join(v.to_bytes(4, "little", signed=True) for v in values)


def test_domain_separation() -> None:
    left, right = _leaves(2)
    assert leaf_hash(b"") == blake3.blake3(b"", key=LEAF_KEY).digest()
    assert node_hash(left, right) == blake3.blake3(left + right, key=NODE_KEY).digest()
    assert blake3.blake3(b"depind/pouw/merkle/leaf/v1").digest() == LEAF_KEY
    assert blake3.blake3(b"depind/pouw/merkle/node/v1").digest() == NODE_KEY
    assert leaf_hash(left + right) != node_hash(left, right)  # a node's preimage is not a leaf


def test_known_answers() -> None:
    """Pinned digests: a change to the leaf or node hash changes every committed root."""
    left, right = _leaves(2)
    assert leaf_hash(b"").hex() == "2efb8be57abe4048a779455af63d87c1333c1222eaf3eec44f4583bbb7aea3dc"
    assert node_hash(left, right).hex() == "333e1b7fb0940f92d736b77fa2d6cd6667e5533bb9d573a66a0f5f65f7bb70fd"


@pytest.mark.parametrize("count", [*range(1, 18), 31, 32, 33, 100])
def test_tree_matches_rfc6962_and_every_range_verifies(count: int) -> None:
    leaves = _leaves(count)
    tree = merkle_tree(leaves)
    assert tree.root == merkle_root_reference(leaves)
    for first in range(count):
        assert verify_path(leaves[first], first, count, tree.path(first), tree.root)
        for size in range(1, min(count - first, 9) + 1):
            proof = tree.range_proof(first, size)
            assert len(proof) <= 2 * max(1, (count - 1).bit_length())
            assert verify_range(leaves[first : first + size], first, count, proof, tree.root)


def test_a_whole_aligned_subtree_needs_one_hash_per_level_above_it() -> None:
    tree = merkle_tree(_leaves(1024))
    assert len(tree.range_proof(64, 64)) == 4  # 2^10 leaves, a 2^6-leaf subtree: 4 levels above
    assert len(tree.range_proof(0, 1024)) == 0


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 40), st.data())
def test_invalid_ranges_are_rejected(count: int, data: st.DataObject) -> None:
    leaves = _leaves(count)
    tree = merkle_tree(leaves)
    first = data.draw(st.integers(0, count - 1))
    size = data.draw(st.integers(1, count - first))
    run, proof = leaves[first : first + size], tree.range_proof(first, size)
    if size < count:
        other = data.draw(st.integers(0, count - size).filter(lambda i: i != first))
        assert not verify_range(run, other, count, proof, tree.root)  # wrong position
    assert not verify_range(run, first, count, [*proof, leaves[0]], tree.root)  # extra hash
    if proof:
        assert not verify_range(run, first, count, proof[:-1], tree.root)  # missing hash
        flipped = bytes([proof[0][0] ^ 1]) + proof[0][1:]
        assert not verify_range(run, first, count, [flipped, *proof[1:]], tree.root)
    changed = [*run]
    changed[-1] = leaves[(first + size) % count] if count > 1 else b"\x00" * 32
    assert not verify_range(changed, first, count, proof, tree.root)  # a leaf changed


def test_invalid_index_outside_tree() -> None:
    tree = merkle_tree(_leaves(3))
    assert not verify_path(_leaves(1)[0], 3, 3, [], tree.root)
    assert not verify_path(_leaves(1)[0], -1, 3, [], tree.root)
    assert range_root([], 0, 3, []) is None
    with pytest.raises(IndexError):
        tree.path(3)
    with pytest.raises(IndexError):
        tree.range_proof(2, 2)
    with pytest.raises(ValueError, match="at least one leaf"):
        merkle_tree([])


def test_chunk_layout() -> None:
    """Chunks of 256 int32 (or 128 int64) entries; each tensor starts a new leaf."""
    layout = ChunkLayout(((3, 200), (1, 256), (2, 1)), 4)
    assert layout.per_chunk == 256 and layout.offsets == (0, 3, 4, 5) and layout.size == 5
    assert layout.leaves(0, 0, 1) == (0, 1)
    assert layout.leaves(0, 255, 2) == (0, 2)  # entries 255 and 256 straddle leaves 0 and 1
    assert layout.leaves(0, 400, 200) == (1, 2)  # row 2 of output 0
    assert layout.leaves(2, 1, 1) == (4, 1)
    assert layout.span_bytes(0, 2, 1) == (2 * CHUNK_BYTES, 600 * 4)  # the short last chunk
    assert layout.leaf_sizes(0, 1, 2) == [1024, 352]
    assert ChunkLayout(((2, 3),), 8).per_chunk == 128
    with pytest.raises(IndexError):
        layout.leaves(0, 599, 2)


def test_commit_and_open_entries() -> None:
    values = list(range(-300, 300))
    layout = ChunkLayout(((3, 200), (2, 1)), 4)
    commitment = commit_chunks(layout, [_int32s(values), _int32s([7, -8])])
    leaves = [leaf_hash(_int32s(values[i : i + 256])) for i in range(0, 600, 256)]
    assert commitment.root == merkle_root_reference([*leaves, leaf_hash(_int32s([7, -8]))])
    for tensor, first, count in [(0, 0, 1), (0, 255, 2), (0, 400, 200), (0, 599, 1), (1, 1, 1)]:
        opening = commitment.open_entries(tensor, first, count)
        got = opened_entries(layout, commitment.root, opening, tensor, first, count)
        assert got == ([7, -8][first : first + count] if tensor else values[first : first + count])


def test_invalid_openings() -> None:
    layout = ChunkLayout(((3, 200),), 4)
    commitment = commit_chunks(layout, [_int32s(list(range(600)))])
    opening = commitment.open_entries(0, 300, 1)
    cases = {
        r"the entries are in leaves 1 \+ 1": Opening(0, 1, opening.data, opening.proof),
        "holds 1020 bytes": Opening(1, 1, opening.data[:-4], opening.proof),
        "does not lead to the root": Opening(1, 1, b"\x01" + opening.data[1:], opening.proof),
        "does not lead": Opening(1, 1, opening.data, opening.proof[::-1]),
    }
    for message, forged in cases.items():
        with pytest.raises(InvalidOpening, match=message):
            opened_entries(layout, commitment.root, forged, 0, 300, 1)
    with pytest.raises(InvalidOpening, match="not leaf 2"):
        opened_leaf(opening, 2, 3, commitment.root)
    assert opened_leaf(opening, 1, 3, commitment.root) == opening.data


def test_invalid_tensor_sizes() -> None:
    with pytest.raises(ValueError, match="tensor 0 holds 8 bytes, not 1 x 3"):
        commit_chunks(ChunkLayout(((1, 3),), 4), [b"\x00" * 8])
    with pytest.raises(ValueError, match="the layout has 1 tensors, 2 were given"):
        commit_chunks(ChunkLayout(((1, 3),), 4), [b"\x00" * 12, b""])
