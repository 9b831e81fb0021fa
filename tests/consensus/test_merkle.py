"""consensus.merkle: RFC 6962 trees and proofs, checked against hand-built ones and
CometBFT's vectors."""

from __future__ import annotations

import hashlib

import msgspec
import pytest

from consensus.codec import CodecError, decode, encode
from consensus.merkle import (
    EMPTY_HASH,
    MAX_AUNTS,
    Proof,
    inner_hash,
    leaf_hash,
    merkle_proof,
    merkle_proofs,
    merkle_root,
    verify_proof,
)

COMETBFT_MANY = [bytes([1, 2]), bytes([3, 4]), bytes([5, 6]), bytes([7, 8]), bytes([9, 10])]


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


# ---- CometBFT's vectors (crypto/merkle/tree_test.go and rfc6962_test.go) ------------------------


@pytest.mark.parametrize(
    ("items", "root"),
    [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ([bytes([1, 2, 3])], "054edec1d0211f624fed0cbca9d4f9400b0e491c43742af2c5b0abebf0c990d8"),
        ([b""], "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (
            [bytes([1, 2, 3]), bytes([4, 5, 6])],
            "82e6cfce00453804379b53962939eaa7906b39904be0813fcadd31b100773c4b",
        ),
        (COMETBFT_MANY, "f326493eceab4f2d9ffbc78c59432a0a005d6ea98392045c74df5d14a113be18"),
    ],
    ids=["empty", "single", "single blank", "two", "many"],
)
def test_roots_match_cometbft(items: list[bytes], root: str) -> None:
    assert merkle_root(items).hex() == root


def test_leaf_and_node_hashes_match_rfc6962() -> None:
    leaf = "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    node = "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    assert leaf_hash(b"L123456").hex() == leaf
    assert inner_hash(b"N123", b"N456").hex() == node


def test_proofs_verify_against_cometbft_root() -> None:
    """No proof vectors are published; proofs of CometBFT's "many" items must lead to its root."""
    root = bytes.fromhex("f326493eceab4f2d9ffbc78c59432a0a005d6ea98392045c74df5d14a113be18")
    for index, item in enumerate(COMETBFT_MANY):
        assert verify_proof(root, merkle_proof(COMETBFT_MANY, index), item)


# ---- proofs ----------------------------------------------------------------------------------------


def items_of(total: int) -> list[bytes]:
    """Distinct items, so no proof also holds for another index by coincidence."""
    return [f"item {n}".encode() for n in range(total)]


def turns(index: int, total: int) -> list[bool]:
    """The leaf's path from the root (True: left), recursively as RFC 6962 splits."""
    if total == 1:
        return []
    split = 1 << ((total - 1).bit_length() - 1)
    if index < split:
        return [True, *turns(index, split)]
    return [False, *turns(index - split, total - split)]


@pytest.mark.parametrize("total", range(1, 41))
def test_every_proof_verifies(total: int) -> None:
    items = items_of(total)
    root, proofs = merkle_proofs(items)
    assert root == merkle_root(items)
    for index, (item, proof) in enumerate(zip(items, proofs, strict=True)):
        assert (proof.total, proof.index, proof.leaf_hash) == (total, index, leaf_hash(item))
        assert len(proof.aunts) == len(turns(index, total))
        assert merkle_proof(items, index) == proof
        assert verify_proof(root, proof, item)


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


@pytest.mark.parametrize("total", range(1, 41))
def test_any_change_to_leaf_aunt_or_index_fails(total: int) -> None:
    items = items_of(total)
    root, proofs = merkle_proofs(items)
    for index, (item, proof) in enumerate(zip(items, proofs, strict=True)):
        assert not verify_proof(root, proof, item + b"!")
        assert not verify_proof(flipped(root, 0), proof, item)
        for at in range(len(proof.aunts)):
            aunts = [*proof.aunts[:at], flipped(proof.aunts[at], 31), *proof.aunts[at + 1 :]]
            assert not verify_proof(root, msgspec.structs.replace(proof, aunts=aunts), item)
        for other in range(total + 2):
            if other != index:
                assert not verify_proof(root, msgspec.structs.replace(proof, index=other), item)
        if proof.aunts:
            assert not verify_proof(root, msgspec.structs.replace(proof, aunts=proof.aunts[:-1]), item)
        assert not verify_proof(root, msgspec.structs.replace(proof, aunts=[*proof.aunts, root]), item)


@pytest.mark.parametrize("total", range(1, 41))
def test_a_changed_total_fails_unless_it_leaves_the_path_alone(total: int) -> None:
    """A proof binds the turns from the root to its leaf: a total with the same turns for
    this index (leaf 0 of 3 or of 4) gives the same root. A part set checks the total
    against its header; every total that moves the leaf fails."""
    items = items_of(total)
    root, proofs = merkle_proofs(items)
    for index, (item, proof) in enumerate(zip(items, proofs, strict=True)):
        for other in range(0, 2 * total + 2):
            if other == total:
                continue
            changed = msgspec.structs.replace(proof, total=other)
            same_path = other > index and turns(index, other) == turns(index, total)
            assert verify_proof(root, changed, item) == same_path


def test_leaf_0_of_3_and_of_4_share_a_path() -> None:
    items = items_of(3)
    proof = merkle_proof(items, 0)
    assert verify_proof(merkle_root(items), msgspec.structs.replace(proof, total=4), items[0])


def test_proof_of_the_only_item_has_no_aunts() -> None:
    proof = merkle_proof([b"only"], 0)
    assert proof == Proof(1, 0, leaf_hash(b"only"), [])
    assert verify_proof(merkle_root([b"only"]), proof, b"only")


def test_no_proofs_for_no_items() -> None:
    assert merkle_proofs([]) == (EMPTY_HASH, [])
    with pytest.raises(IndexError):
        merkle_proof([b"a"], 1)


def test_invalid_proof_with_a_wrong_leaf_hash() -> None:
    items = items_of(5)
    proof = merkle_proof(items, 2)
    assert not verify_proof(merkle_root(items), msgspec.structs.replace(proof, leaf_hash=bytes(32)), items[2])


def test_invalid_proof_with_an_aunt_of_the_wrong_size() -> None:
    items = items_of(5)
    proof = merkle_proof(items, 2)
    aunts = [proof.aunts[0] + b"\x00", *proof.aunts[1:]]
    assert not verify_proof(merkle_root(items), msgspec.structs.replace(proof, aunts=aunts), items[2])


def test_invalid_proof_with_more_than_max_aunts() -> None:
    """A proof may claim a tree of 2^63 leaves, whose paths have at most 63 turns: more than
    MAX_AUNTS aunts never verify (and are refused before the leaf is hashed)."""
    leaf = b"x" * 1_000_000
    proof = Proof(2**63 - 1, 0, leaf_hash(leaf), [bytes(32)] * (MAX_AUNTS + 1))
    assert not verify_proof(bytes(32), proof, leaf)
    deep = Proof(2**63 - 1, 2**63 - 2, leaf_hash(leaf), [bytes(32)] * 63)
    assert not verify_proof(bytes(32), deep, leaf)


def test_proof_round_trips_through_the_canonical_encoding() -> None:
    proof = merkle_proof(items_of(9), 4)
    assert decode(encode(proof), Proof) == proof
    assert msgspec.msgpack.decode(encode(proof)) == [9, 4, proof.leaf_hash, proof.aunts]


@pytest.mark.parametrize(
    "fields",
    [
        [1, 0, bytes(32), [bytes(32)] * (MAX_AUNTS + 1)],
        [1, 0, bytes(31), []],
        [2, 0, bytes(32), [bytes(33)]],
        [-1, 0, bytes(32), []],
        [1, -1, bytes(32), []],
    ],
    ids=["too many aunts", "short leaf hash", "long aunt", "negative total", "negative index"],
)
def test_invalid_proof_encodings(fields: list[object]) -> None:
    with pytest.raises(CodecError):
        decode(msgspec.msgpack.encode(fields), Proof)
