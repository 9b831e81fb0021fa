"""The one interface between consensus and the application (ABCI-like).

Consensus sees tx bytes, results, app hashes and validator updates, nothing
of the application's types; the shapes below are structural.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Misbehavior:
    """Committed evidence that a validator misbehaved, as the application receives it
    (CometBFT's ``abci.Misbehavior``). ``kind`` is ``"duplicate_vote"``."""

    kind: str
    validator_address: bytes
    height: int
    time_ns: int
    total_voting_power: int


class AttributeLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...


class EventLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def attributes(self) -> Sequence[AttributeLike]: ...


class TxResultLike(Protocol):
    @property
    def code(self) -> int: ...
    @property
    def codespace(self) -> str: ...
    @property
    def log(self) -> str: ...
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
    def validator_updates(self) -> Sequence[Any]: ...
    @property
    def app_hash(self) -> bytes: ...


class Application(Protocol):
    def info(self) -> tuple[int, bytes]: ...

    def prepare_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int) -> list[bytes]: ...

    def process_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int) -> bool: ...

    def finalize_block(
        self,
        height: int,
        time_ns: int,
        proposer: bytes,
        last_block_hash: bytes,
        txs: list[bytes],
        misbehavior: Sequence[Misbehavior] = (),
    ) -> FinalizeResultLike: ...

    def commit(self) -> int: ...
