"""node.rpc.proofs: every tx proof leads from the tx to the block's data hash, checked the
way a CometBFT client checks it (``computeHashFromAunts``)."""

from __future__ import annotations

import hashlib

import pytest

from consensus.merkle import inner_hash, leaf_hash
from consensus.types import Data
from node.rpc.proofs import TxProof, TxTree


def root_from_aunts(index: int, total: int, leaf: bytes, aunts: list[bytes]) -> bytes:
    """CometBFT's ``computeHashFromAunts``: the last aunt is the root's other child."""
    if total == 1:
        assert aunts == []
        return leaf
    left = 1 << ((total - 1).bit_length() - 1)
    if index < left:
        return inner_hash(root_from_aunts(index, left, leaf, aunts[:-1]), aunts[-1])
    return inner_hash(aunts[-1], root_from_aunts(index - left, total - left, leaf, aunts[:-1]))


def verifies(proof: TxProof, data_hash: bytes) -> bool:
    return (
        proof.leaf_hash == leaf_hash(hashlib.sha256(proof.tx).digest())
        and root_from_aunts(proof.index, proof.total, proof.leaf_hash, proof.aunts) == data_hash
    )


def txs(count: int) -> list[bytes]:
    return [f"tx-{i}".encode() * (i + 1) for i in range(count)]


@pytest.mark.parametrize("count", [*range(1, 18), 31, 32, 33, 100])
def test_every_proof_verifies_against_the_data_hash(count: int) -> None:
    block_txs = txs(count)
    data_hash = Data(block_txs).hash()
    tree = TxTree(block_txs)
    assert tree.root() == data_hash
    for index in range(count):
        proof = tree.prove(index)
        assert (proof.root_hash, proof.tx, proof.total, proof.index) == (
            data_hash,
            block_txs[index],
            count,
            index,
        )
        assert verifies(proof, data_hash)


def test_proof_of_the_only_tx_has_no_aunts() -> None:
    proof = TxTree([b"alone"]).prove(0)
    assert proof.aunts == []
    assert proof.root_hash == proof.leaf_hash == Data([b"alone"]).hash()


def test_invalid_proof_of_another_tx_does_not_verify() -> None:
    block_txs = txs(5)
    proof = TxTree(block_txs).prove(2)
    forged = TxProof(proof.root_hash, b"forged", proof.total, proof.index, proof.leaf_hash, proof.aunts)
    assert not verifies(forged, Data(block_txs).hash())
    moved = TxProof(proof.root_hash, proof.tx, proof.total, 3, proof.leaf_hash, proof.aunts)
    assert not verifies(moved, Data(block_txs).hash())


def test_each_subtree_is_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proving every tx of a block costs about as much as its root, not a root per tx."""
    calls = 0

    def counted(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return inner_hash(left, right)

    monkeypatch.setattr("node.rpc.proofs.inner_hash", counted)
    tree = TxTree(txs(100))
    for index in range(100):
        tree.prove(index)
    assert calls == 99  # the inner nodes of a 100-leaf tree
