"""consensus.types: what each hash commits to."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
import pytest

from consensus.codec import encode
from consensus.merkle import EMPTY_HASH, inner_hash, leaf_hash
from consensus.types import (
    ZERO_BLOCK_ID,
    Block,
    BlockID,
    Commit,
    Data,
    Header,
    PartSetHeader,
    Version,
    VoteType,
    block_id_of,
    results_hash,
    vote_sign_bytes,
)
from tests.consensus import vectors


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def changed(value: Any) -> Any:
    """A different value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, bytes):
        return value + b"\x00"
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, Version):
        return Version(value.block, value.app + 1)
    if isinstance(value, BlockID):
        return BlockID(value.hash, PartSetHeader(value.part_set_header.total + 1, value.part_set_header.hash))
    raise TypeError(type(value))


def test_header_hash_is_sha256_of_encoding() -> None:
    header = vectors.header()
    assert header.hash() == sha256(encode(header))


@pytest.mark.parametrize("name", Header.__struct_fields__)
def test_header_hash_changes_with_every_field(name: str) -> None:
    header = vectors.header()
    other = msgspec.structs.replace(header, **{name: changed(getattr(header, name))})
    assert other.hash() != header.hash()


def test_block_hash_is_header_hash() -> None:
    block = vectors.block()
    assert block.hash() == block.header.hash()


def test_block_id_of() -> None:
    block = vectors.block()
    parts = PartSetHeader(3, b"parts")
    assert block_id_of(block, parts) == BlockID(block.hash(), parts)


def test_zero_block_id() -> None:
    assert ZERO_BLOCK_ID.is_zero()
    assert not vectors.block_id().is_zero()


def test_data_hash_of_no_txs_is_empty_root() -> None:
    assert Data([]).hash() == EMPTY_HASH


def test_data_hash_is_rfc6962_root_over_tx_hashes() -> None:
    # CometBFT: leaves are the txs' SHA-256 hashes.
    txs = [b"tx-one", b"tx-two", b"tx-three"]
    leaves = [sha256(b"\x00" + sha256(tx)) for tx in txs]
    expected = sha256(b"\x01" + sha256(b"\x01" + leaves[0] + leaves[1]) + leaves[2])
    assert Data(txs).hash() == expected


def test_data_hash_depends_on_order() -> None:
    assert Data([b"a", b"b"]).hash() != Data([b"b", b"a"]).hash()


def test_commit_hash_is_rfc6962_root_over_signatures() -> None:
    sigs = [vectors.commit_sig(n) for n in (1, 2, 3)]
    commit = Commit(4, 0, vectors.block_id(), sigs)
    left = inner_hash(leaf_hash(encode(sigs[0])), leaf_hash(encode(sigs[1])))
    assert commit.hash() == inner_hash(left, leaf_hash(encode(sigs[2])))


def test_commit_hash_of_no_signatures_is_empty_root() -> None:
    assert Commit(1, 0, vectors.block_id(), []).hash() == EMPTY_HASH


def test_commit_hash_covers_signatures_only() -> None:
    # As in CometBFT, height/round/block id are committed to by the header, not this hash.
    commit = vectors.commit()
    assert msgspec.structs.replace(commit, round=3).hash() == commit.hash()
    other_sig = msgspec.structs.replace(commit.signatures[0], signature=b"\x00" * 64)
    assert (
        Commit(commit.height, 0, commit.block_id, [other_sig, commit.signatures[1]]).hash() != commit.hash()
    )


def test_results_hash() -> None:
    assert results_hash([]) == EMPTY_HASH
    assert results_hash([b"r"]) == leaf_hash(b"r")


def test_vote_sign_bytes_exclude_signature_and_validator() -> None:
    vote = vectors.vote()
    unsigned = msgspec.structs.replace(vote, signature=b"", validator_address=b"", validator_index=9)
    assert vote.sign_bytes(vectors.CHAIN_ID) == unsigned.sign_bytes(vectors.CHAIN_ID)


def test_vote_sign_bytes_bind_chain_and_position() -> None:
    base = vote_sign_bytes(vectors.CHAIN_ID, VoteType.PRECOMMIT, 5, 1, vectors.block_id(), 7)
    variants = [
        vote_sign_bytes("other-chain", VoteType.PRECOMMIT, 5, 1, vectors.block_id(), 7),
        vote_sign_bytes(vectors.CHAIN_ID, VoteType.PREVOTE, 5, 1, vectors.block_id(), 7),
        vote_sign_bytes(vectors.CHAIN_ID, VoteType.PRECOMMIT, 6, 1, vectors.block_id(), 7),
        vote_sign_bytes(vectors.CHAIN_ID, VoteType.PRECOMMIT, 5, 2, vectors.block_id(), 7),
        vote_sign_bytes(vectors.CHAIN_ID, VoteType.PRECOMMIT, 5, 1, vectors.block_id("x"), 7),
        vote_sign_bytes(vectors.CHAIN_ID, VoteType.PRECOMMIT, 5, 1, vectors.block_id(), 8),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)


def test_values_are_frozen() -> None:
    with pytest.raises(AttributeError):
        vectors.header().height = 9  # type: ignore[misc]


def test_block_without_last_commit() -> None:
    block = Block(vectors.header(1), Data([]), [], None)
    assert block.last_commit is None
