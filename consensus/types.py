"""Blocks, headers, votes and commits, in CometBFT's shape.

Hashes are SHA-256 of the canonical encoding (headers, votes) or RFC 6962
Merkle roots (txs, validator sets, results), so any client can recompute them.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Annotated

import msgspec

from consensus.codec import Canonical, encode
from consensus.merkle import merkle_root

Uint64 = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
BLOCK_PROTOCOL = 11  # CometBFT's block protocol version
APP_VERSION = 1


class VoteType(IntEnum):
    PREVOTE = 1
    PRECOMMIT = 2


class BlockIDFlag(IntEnum):
    ABSENT = 1
    COMMIT = 2
    NIL = 3


class PartSetHeader(Canonical, frozen=True):
    total: Uint64
    hash: bytes


class BlockID(Canonical, frozen=True):
    hash: bytes
    part_set_header: PartSetHeader

    def is_zero(self) -> bool:
        return not self.hash


ZERO_BLOCK_ID = BlockID(b"", PartSetHeader(0, b""))


class Version(Canonical, frozen=True):
    block: Uint64
    app: Uint64


class Header(Canonical, frozen=True):
    version: Version
    chain_id: str
    height: Uint64
    time_ns: Int64
    last_block_id: BlockID
    last_commit_hash: bytes
    data_hash: bytes
    validators_hash: bytes
    next_validators_hash: bytes
    consensus_hash: bytes
    app_hash: bytes
    last_results_hash: bytes
    evidence_hash: bytes
    proposer_address: bytes

    def hash(self) -> bytes:
        return hashlib.sha256(encode(self)).digest()


class CommitSig(Canonical, frozen=True):
    block_id_flag: int
    validator_address: bytes
    timestamp_ns: Int64
    signature: bytes


class Commit(Canonical, frozen=True):
    height: Uint64
    round: Uint64
    block_id: BlockID
    signatures: list[CommitSig]

    def hash(self) -> bytes:
        return merkle_root([encode(sig) for sig in self.signatures])


class Data(Canonical, frozen=True):
    txs: list[bytes]

    def hash(self) -> bytes:
        return merkle_root([hashlib.sha256(tx).digest() for tx in self.txs])


class Block(Canonical, frozen=True):
    header: Header
    data: Data
    evidence: list[bytes]
    last_commit: Commit | None

    def hash(self) -> bytes:
        return self.header.hash()


class CanonicalVote(Canonical, frozen=True):
    """What a validator signs: never the vote's own signature or validator fields."""

    type: int
    height: Uint64
    round: Uint64
    block_id: BlockID
    timestamp_ns: Int64
    chain_id: str


class Vote(Canonical, frozen=True):
    type: int
    height: Uint64
    round: Uint64
    block_id: BlockID
    timestamp_ns: Int64
    validator_address: bytes
    validator_index: Uint64
    signature: bytes

    def sign_bytes(self, chain_id: str) -> bytes:
        return vote_sign_bytes(chain_id, self.type, self.height, self.round, self.block_id, self.timestamp_ns)


def vote_sign_bytes(
    chain_id: str, type_: int, height: int, round_: int, block_id: BlockID, timestamp_ns: int
) -> bytes:
    return encode(CanonicalVote(type_, height, round_, block_id, timestamp_ns, chain_id))


def block_id_of(block: Block, parts: PartSetHeader) -> BlockID:
    return BlockID(block.hash(), parts)


def results_hash(results: list[bytes]) -> bytes:
    return merkle_root(results)
