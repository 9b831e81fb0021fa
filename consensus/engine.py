"""What an engine needs from the node besides the application: a block store,
a mempool and somewhere to announce commits. The single-validator engine
(``solo``) and the Tendermint engine share these boundaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from consensus.abci import FinalizeResultLike
from consensus.tendermint.evidence import Offence
from consensus.types import Block, Commit
from consensus.validators import ValidatorSet


@dataclass(frozen=True)
class ConsensusConfig:
    timeout_commit_s: float = 1.0
    create_empty_blocks: bool = True
    create_empty_blocks_interval_s: float = (
        0.0  # with create_empty_blocks off: still make one this often (0: never)
    )


@dataclass(frozen=True)
class BlockLimits:
    max_bytes: int
    max_gas: int  # -1: unlimited


class BlockStore(Protocol):
    def height(self) -> int: ...

    def load_block(self, height: int) -> Block | None: ...

    def load_commit(self, height: int) -> Commit | None: ...

    def load_results_hash(self, height: int) -> bytes: ...

    def stage_block(self, block: Block, commit: Commit, result: FinalizeResultLike) -> None:
        """Queue the block's writes; they land atomically with the app's next commit."""


class ValidatorStore(BlockStore, Protocol):
    """A block store that also keeps the validator set of each height."""

    def load_validators(self, height: int) -> ValidatorSet | None: ...

    def stage_validators(self, height: int, validators: ValidatorSet) -> None:
        """Queue the set of ``height``; it lands with the next staged block."""

    def evidence_committed(self, evidence_id: bytes) -> bool:
        """Whether a committed block holds the evidence with this id (SHA-256 of its encoding)."""

    def offence_committed(self, offence: Offence) -> bool:
        """Whether a committed block holds evidence of ``offence`` (until its entry is pruned)."""

    def stage_offences(self, height: int, offences: Sequence[Offence]) -> None:
        """Queue the offences whose evidence the block at ``height`` holds; they land with it."""

    def stage_offence_expiry(self, is_expired: Callable[[int], bool]) -> None:
        """Queue the removal of the offences whose height ``is_expired`` (expiry only grows with
        the chain, so the oldest go first); it lands with the next staged block."""


class Mempool(Protocol):
    def size(self) -> int: ...

    def reap(self, max_bytes: int, max_gas: int) -> list[bytes]: ...

    async def wait_for_txs(self) -> None: ...

    def update(self, height: int, txs: Sequence[bytes]) -> None:
        """Drop included txs and recheck the rest against the new state."""


class CommitListener(Protocol):
    async def __call__(self, block: Block, commit: Commit, result: FinalizeResultLike) -> None: ...
