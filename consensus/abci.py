"""The one interface between consensus and the application (ABCI-like).

Consensus sees tx bytes, results, app hashes and validator updates, nothing
of the application's types; the shapes below are structural.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Misbehavior:
    """Committed evidence that a validator misbehaved, as the application receives it
    (CometBFT's ``abci.Misbehavior``). ``kind`` is ``"duplicate_vote"``; ``validator_power``
    is the validator's power at ``height`` (CometBFT's ``Misbehavior.Validator.Power``)."""

    kind: str
    validator_address: bytes
    height: int
    time_ns: int
    total_voting_power: int
    validator_power: int


class AttributeLike(Protocol):
    """CometBFT's ``abci.EventAttribute``: ``index`` asks the node to put the attribute in
    its tx index; subscriptions see every attribute either way."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def index(self) -> bool: ...


class EventLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def attributes(self) -> Sequence[AttributeLike]: ...


class TxResultLike(Protocol):
    """CometBFT's ``ExecTxResult``; ``data`` is the application's answer, opaque to consensus
    (part of the results hash)."""

    @property
    def code(self) -> int: ...
    @property
    def codespace(self) -> str: ...
    @property
    def log(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def events(self) -> Sequence[EventLike]: ...
    @property
    def gas_wanted(self) -> int: ...
    @property
    def gas_used(self) -> int: ...


class FinalizeResultLike(Protocol):
    @property
    def tx_results(self) -> Sequence[TxResultLike]: ...
    @property
    def events(self) -> Sequence[EventLike]: ...
    @property
    def validator_updates(self) -> Sequence[ValidatorUpdateLike]: ...
    @property
    def app_hash(self) -> bytes: ...


class BlockParamsLike(Protocol):
    @property
    def max_bytes(self) -> int: ...
    @property
    def max_gas(self) -> int: ...


class EvidenceParamsLike(Protocol):
    @property
    def max_age_num_blocks(self) -> int: ...
    @property
    def max_age_duration_ns(self) -> int: ...
    @property
    def max_bytes(self) -> int: ...


class ConsensusParamsLike(Protocol):
    """The limits every node judges a block by. They live in the application's state
    (changed only by transactions), never in local configuration."""

    @property
    def block(self) -> BlockParamsLike: ...
    @property
    def evidence(self) -> EvidenceParamsLike: ...
    def hash(self) -> bytes: ...


@dataclass(frozen=True)
class VoteInfo:
    """One validator of the last block's set and how it voted (CometBFT's ``abci.VoteInfo``)."""

    validator_address: bytes
    power: int
    block_id_flag: int  # 1 absent, 2 commit, 3 nil (``consensus.types.BlockIDFlag``)

    @property
    def signed(self) -> bool:
        return self.block_id_flag == 2


@dataclass(frozen=True)
class CommitInfo:
    """The decided commit of the previous block: every validator of its set, in set order."""

    round: int
    votes: tuple[VoteInfo, ...]


EMPTY_COMMIT_INFO = CommitInfo(0, ())


class ValidatorUpdateLike(Protocol):
    """A change the application makes to the validator set: power 0 removes the validator."""

    @property
    def pub_key(self) -> bytes: ...  # 32-byte ed25519
    @property
    def power(self) -> int: ...


@dataclass(frozen=True)
class FinalizeBlockRequest:
    """A decided block, as the application executes it (CometBFT's ``RequestFinalizeBlock``)."""

    height: int
    time_ns: int
    proposer: bytes
    hash: bytes  # this block's hash
    last_block_hash: bytes
    txs: Sequence[bytes]
    decided_last_commit: CommitInfo = EMPTY_COMMIT_INFO
    misbehavior: Sequence[Misbehavior] = ()


class Application(Protocol):
    def info(self) -> tuple[int, bytes]: ...

    def consensus_params(self) -> ConsensusParamsLike: ...

    def prepare_proposal(
        self, txs: list[bytes], max_bytes: int, max_gas: int, proposer: bytes
    ) -> list[bytes]: ...

    def process_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int, proposer: bytes) -> bool: ...

    def finalize_block(self, request: FinalizeBlockRequest) -> FinalizeResultLike: ...

    def commit(self) -> int: ...
