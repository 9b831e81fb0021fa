"""consensus.merkle: RFC 6962 trees, checked against hand-built ones."""

from __future__ import annotations

import hashlib

from consensus.merkle import EMPTY_HASH, inner_hash, leaf_hash, merkle_root


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_empty_root_is_hash_of_nothing() -> None:
    assert sha256(b"") == EMPTY_HASH
    assert EMPTY_HASH.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle_root([]) == EMPTY_HASH


def test_leaf_and_inner_are_domain_separated() -> None:
    assert leaf_hash(b"a") == sha256(b"\x00a")
    assert inner_hash(b"L", b"R") == sha256(b"\x01LR")


def test_single_leaf_root_is_its_leaf_hash() -> None:
    assert merkle_root([b"only"]) == sha256(b"\x00only")


def test_two_leaves() -> None:
    assert merkle_root([b"a", b"b"]) == sha256(b"\x01" + sha256(b"\x00a") + sha256(b"\x00b"))


def test_three_leaves_by_hand() -> None:
    # RFC 6962: split at the largest power of two below n, so ((a b) c).
    a, b, c = sha256(b"\x00a"), sha256(b"\x00b"), sha256(b"\x00c")
    left = sha256(b"\x01" + a + b)
    assert merkle_root([b"a", b"b", b"c"]) == sha256(b"\x01" + left + c)


def test_five_leaves_split_after_four() -> None:
    leaves = [bytes([n]) for n in range(5)]
    four = merkle_root(leaves[:4])
    assert merkle_root(leaves) == inner_hash(four, leaf_hash(leaves[4]))


def test_root_depends_on_order_and_content() -> None:
    roots = {
        merkle_root([b"a", b"b", b"c"]),
        merkle_root([b"b", b"a", b"c"]),
        merkle_root([b"a", b"b"]),
        merkle_root([b"a", b"b", b"c", b"c"]),
    }
    assert len(roots) == 4


def test_leaf_cannot_pose_as_inner_node() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert merkle_root([a + b]) != merkle_root([b"a", b"b"])
