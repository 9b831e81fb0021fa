"""Small, fixed consensus values shared by the consensus tests."""

from __future__ import annotations

import hashlib

from consensus.types import (
    APP_VERSION,
    BLOCK_PROTOCOL,
    Block,
    BlockID,
    BlockIDFlag,
    Commit,
    CommitSig,
    Data,
    Header,
    PartSetHeader,
    Version,
    Vote,
    VoteType,
)

CHAIN_ID = "depin-test-1"


def digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def block_id(label: str = "block") -> BlockID:
    return BlockID(digest(label), PartSetHeader(1, digest(label + "/parts")))


def header(height: int = 2, txs: list[bytes] | None = None) -> Header:
    return Header(
        version=Version(BLOCK_PROTOCOL, APP_VERSION),
        chain_id=CHAIN_ID,
        height=height,
        time_ns=1_704_067_200_123_456_789,
        last_block_id=block_id("previous"),
        last_commit_hash=digest("last_commit"),
        data_hash=Data(txs or []).hash(),
        validators_hash=digest("validators"),
        next_validators_hash=digest("next_validators"),
        consensus_hash=digest("consensus"),
        app_hash=digest("app"),
        last_results_hash=digest("results"),
        evidence_hash=digest("evidence"),
        proposer_address=b"\x07" * 20,
    )


def commit_sig(n: int = 1) -> CommitSig:
    return CommitSig(BlockIDFlag.COMMIT, bytes([n]) * 20, 1_704_067_200_000_000_000 + n, bytes([n]) * 64)


def commit(height: int = 1, signers: int = 2) -> Commit:
    return Commit(height, 0, block_id("previous"), [commit_sig(n) for n in range(1, signers + 1)])


def block(height: int = 2) -> Block:
    txs = [b"tx-one", b"tx-two", b"tx-three"]
    return Block(header(height, txs), Data(txs), [], commit(height - 1))


def vote() -> Vote:
    return Vote(
        VoteType.PRECOMMIT, 5, 1, block_id(), 1_704_067_200_000_000_000, b"\x09" * 20, 0, b"\x01" * 64
    )
