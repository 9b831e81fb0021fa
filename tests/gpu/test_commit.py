"""Canonical bytes, the BLAKE3 Merkle tree over rows (RFC 6962 shape), proofs, the result root."""

from __future__ import annotations

import hashlib

import blake3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu.commit import (
    LEAF_KEY,
    NODE_KEY,
    RESULT_TAG,
    RowOpening,
    canonical_bytes,
    check_opening,
    commit_outputs,
    leaf_hash,
    merkle_root_reference,
    merkle_tree,
    node_hash,
    open_row,
    result_root,
    verify_path,
)


def _leaves(count: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(count)]


def test_canonical_bytes_are_int32_little_endian_row_major() -> None:
    array = np.array([[1, -2], [256, 2**31 - 1]], dtype=np.int32)
    assert canonical_bytes(array) == bytes.fromhex("01000000feffffff00010000ffffff7f")
    assert canonical_bytes(array.astype(">i4")) == canonical_bytes(array)
    assert canonical_bytes(np.asfortranarray(array)) == canonical_bytes(array)


def test_domain_separation() -> None:
    left, right = _leaves(2)
    assert leaf_hash(b"") == blake3.blake3(b"", key=LEAF_KEY).digest()
    assert node_hash(left, right) == blake3.blake3(left + right, key=NODE_KEY).digest()
    assert blake3.blake3(b"depind/pouw/merkle/leaf/v1").digest() == LEAF_KEY
    assert blake3.blake3(b"depind/pouw/merkle/node/v1").digest() == NODE_KEY
    assert result_root(left, right) == hashlib.sha256(RESULT_TAG + left + right).digest()
    # a node's preimage, presented as a row, does not hash to the node
    assert leaf_hash(left + right) != node_hash(left, right)


def test_known_answers() -> None:
    """Pinned digests: a change to the leaf or node hash changes every committed root."""
    left, right = _leaves(2)
    assert leaf_hash(b"").hex() == "2efb8be57abe4048a779455af63d87c1333c1222eaf3eec44f4583bbb7aea3dc"
    assert node_hash(left, right).hex() == "333e1b7fb0940f92d736b77fa2d6cd6667e5533bb9d573a66a0f5f65f7bb70fd"
    row = bytes(range(256)) * 64  # one 16 KiB row: BLAKE3's SIMD path over 16 chunks
    assert leaf_hash(row).hex() == "38dbc09802fbc7be3f6752cac67bf575c986a060fb719183df4c4ddc161c012d"
    as_int32 = np.frombuffer(row, dtype="<i4").reshape(1, -1)
    assert commit_outputs([as_int32]).output_root == leaf_hash(row)


@pytest.mark.parametrize("count", [*range(1, 18), 31, 32, 33, 100])
def test_tree_matches_rfc6962_and_every_path_verifies(count: int) -> None:
    leaves = _leaves(count)
    tree = merkle_tree(leaves)
    assert tree.root == merkle_root_reference(leaves)
    for index in range(count):
        assert verify_path(leaves[index], index, count, tree.path(index), tree.root)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.data())
def test_invalid_paths_are_rejected(count: int, data: st.DataObject) -> None:
    leaves = _leaves(count)
    tree = merkle_tree(leaves)
    index = data.draw(st.integers(0, count - 1))
    path = tree.path(index)
    other = data.draw(st.integers(0, count - 1).filter(lambda i: i != index))
    assert not verify_path(leaves[index], other, count, path, tree.root)  # wrong position
    assert not verify_path(leaves[other], index, count, path, tree.root)  # wrong leaf
    assert not verify_path(leaves[index], index, count, [*path, path[0]], tree.root)  # extra hash
    if path:
        assert not verify_path(leaves[index], index, count, path[:-1], tree.root)  # missing hash
        flipped = bytes([path[0][0] ^ 1]) + path[0][1:]
        assert not verify_path(leaves[index], index, count, [flipped, *path[1:]], tree.root)


def test_invalid_index_outside_tree() -> None:
    tree = merkle_tree(_leaves(3))
    assert not verify_path(_leaves(1)[0], 3, 3, [], tree.root)
    assert not verify_path(_leaves(1)[0], -1, 3, [], tree.root)
    with pytest.raises(IndexError):
        tree.path(3)
    with pytest.raises(ValueError, match="at least one leaf"):
        merkle_tree([])


def test_rows_of_all_tensors_are_leaves_in_order() -> None:
    outputs = [np.arange(6, dtype=np.int32).reshape(2, 3), np.arange(8, dtype=np.int32).reshape(4, 2)]
    commitment = commit_outputs(outputs)
    rows = [row for out in outputs for row in out]
    assert commitment.offsets == (0, 2, 6)
    assert commitment.output_root == merkle_root_reference([leaf_hash(canonical_bytes(row)) for row in rows])


def test_row_and_entry_openings() -> None:
    outputs = [np.arange(12, dtype=np.int32).reshape(4, 3) - 5]
    commitment = commit_outputs(outputs)
    opening = open_row(commitment, outputs, 0, 2)
    assert opening.leaf == 2
    assert opening.values().tolist() == [1, 2, 3]
    assert check_opening(opening, 4, commitment.output_root)
    tampered = RowOpening(opening.leaf, canonical_bytes(np.array([1, 2, 4])), opening.path)
    assert not check_opening(tampered, 4, commitment.output_root)


def test_parallel_and_serial_commitments_agree() -> None:
    from concurrent.futures import ThreadPoolExecutor

    outputs = [np.arange(300 * 7, dtype=np.int32).reshape(300, 7), np.ones((5, 1000), np.int32)]
    with ThreadPoolExecutor(2) as pool:
        assert commit_outputs(outputs, pool).output_root == commit_outputs(outputs).output_root
