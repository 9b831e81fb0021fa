"""What the application is told of a decided block, as structural types: the
consensus engine's values satisfy them without vm/ importing consensus/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

ABSENT_FLAG = 1  # a VoteInfo of a validator whose precommit is not in the commit
COMMIT_FLAG = 2  # a VoteInfo whose precommit for the block is in the commit


class VoteInfoLike(Protocol):
    @property
    def validator_address(self) -> bytes: ...
    @property
    def power(self) -> int: ...
    @property
    def block_id_flag(self) -> int: ...


class CommitInfoLike(Protocol):
    @property
    def round(self) -> int: ...
    @property
    def votes(self) -> Sequence[VoteInfoLike]: ...


class MisbehaviorLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def validator_address(self) -> bytes: ...
    @property
    def height(self) -> int: ...
    @property
    def time_ns(self) -> int: ...
    @property
    def total_voting_power(self) -> int: ...
    @property
    def validator_power(self) -> int: ...  # the validator's power at ``height``


class FinalizeRequestLike(Protocol):
    @property
    def height(self) -> int: ...
    @property
    def time_ns(self) -> int: ...
    @property
    def proposer(self) -> bytes: ...
    @property
    def hash(self) -> bytes: ...
    @property
    def last_block_hash(self) -> bytes: ...
    @property
    def txs(self) -> Sequence[bytes]: ...
    @property
    def decided_last_commit(self) -> CommitInfoLike: ...
    @property
    def misbehavior(self) -> Sequence[MisbehaviorLike]: ...


@dataclass(frozen=True)
class NoCommit:
    """The last commit of the first block: nobody signed a block before it."""

    round: int = 0
    votes: tuple[VoteInfoLike, ...] = ()


NO_COMMIT = NoCommit()


@dataclass(frozen=True)
class ValidatorUpdate:
    """A change to the validator set, effective two heights later; power 0 removes."""

    pub_key: bytes  # 32-byte ed25519
    power: int
