"""Output commitments on the fast path (NumPy arrays, compiled BLAKE3) equal the pure-Python
reference of gpu/merkle.py, with and without a thread pool; canonical bytes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import blake3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpu import hash_kernels
from gpu.commit import FAST_LEAVES, canonical_bytes, commit_outputs, output_layout, tree_of
from gpu.merkle import LEAF_KEY, commit_chunks, merkle_root_reference, merkle_tree, node_hash, verify_path


def test_canonical_bytes_are_int32_little_endian_row_major() -> None:
    array = np.array([[1, -2], [256, 2**31 - 1]], dtype=np.int32)
    assert canonical_bytes(array) == bytes.fromhex("01000000feffffff00010000ffffff7f")
    assert canonical_bytes(array.astype(">i4")) == canonical_bytes(array)
    assert canonical_bytes(np.asfortranarray(array)) == canonical_bytes(array)


def _reference_root(outputs: list[np.ndarray]) -> bytes:
    return commit_chunks(output_layout(outputs), [canonical_bytes(out) for out in outputs]).root


@pytest.mark.parametrize(
    "shapes",
    [
        [(1, 1)],
        [(3, 7), (5, 256)],
        [(300, 301)],  # past FAST_LEAVES chunks: the kernel, with a short last chunk
        [(512, 512), (1, 3), (64, 1024)],  # kernel-sized tensors around a tiny one
    ],
)
def test_fast_commitment_equals_reference(shapes: list[tuple[int, int]]) -> None:
    rng = np.random.default_rng(len(shapes))
    outputs = [rng.integers(-(2**31), 2**31, size=shape, dtype=np.int32) for shape in shapes]
    want = _reference_root(outputs)
    assert commit_outputs(outputs).root == want
    with ThreadPoolExecutor(2) as pool:
        assert commit_outputs(outputs, pool).root == want


def test_fast_openings_equal_reference_openings() -> None:
    outputs = [np.arange(400 * 700, dtype=np.int32).reshape(400, 700) - 5000]
    fast = commit_outputs(outputs)
    reference = commit_chunks(output_layout(outputs), [canonical_bytes(outputs[0])])
    assert fast.tree.size > FAST_LEAVES
    for first, count in [(0, 1), (1000, 700), (400 * 700 - 1, 1)]:
        assert fast.open_entries(0, first, count) == reference.open_entries(0, first, count)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 70), st.sampled_from([1, 16]), st.binary(min_size=32, max_size=32), st.data())
def test_hash_kernel_equals_blake3(count: int, blocks: int, key: bytes, data: st.DataObject) -> None:
    """Any number of inputs (not a multiple of the lanes), leaves (16 blocks) and nodes (1 block)."""
    seed = data.draw(st.integers(0, 2**32))
    words = np.random.default_rng(seed).integers(0, 2**32, size=(count, 16 * blocks), dtype=np.uint32)
    digests = hash_kernels.keyed_digests(words, key)
    for i in range(count):
        assert digests[i].tobytes() == blake3.blake3(words[i].astype("<u4").tobytes(), key=key).digest()


def test_tree_levels_built_by_the_kernel_equal_rfc6962() -> None:
    count = FAST_LEAVES * 2 + 3  # odd levels: lone last nodes move up
    leaves = [blake3.blake3(i.to_bytes(4, "big"), key=LEAF_KEY).digest() for i in range(count)]
    tree = tree_of(leaves)
    assert tree.root == merkle_root_reference(leaves)
    for index in (0, 1, FAST_LEAVES, count - 2, count - 1):
        assert verify_path(leaves[index], index, count, tree.path(index), tree.root)
    assert merkle_tree(leaves).levels[1][7] == tree.levels[1][7] == node_hash(leaves[14], leaves[15])


def test_known_answer() -> None:
    """A pinned output root: another implementation must reproduce it byte for byte."""
    output = np.arange(-1000, 1000, dtype=np.int32).reshape(40, 50)
    assert commit_outputs([output]).root.hex() == _reference_root([output]).hex()
    assert commit_outputs([output]).root.hex() == (
        "a3ed102498e8d16ea47dbd88784742f259cf60ce702fcc57e3eccf5115a111c5"
    )
