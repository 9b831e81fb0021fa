"""The mempool: txs that passed CheckTx, in arrival order.

Admission runs the application's ante handler on its check state, which
tracks each account's next sequence and remaining balance across pending
txs, so an account's txs are admitted (and later reaped) in sequence order.
After every block the included txs leave and the rest are rechecked.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import trio

from vm.errors import InvalidTx, MempoolIsFull, TxInMempoolCache, TxTooLarge
from vm.execute import TxResult, failure


class CheckTxApp(Protocol):
    def check_tx(self, tx_bytes: bytes, recheck: bool = False) -> TxResult: ...


@dataclass(frozen=True)
class MempoolConfig:
    size: int = 10_000  # max txs
    max_txs_bytes: int = 256 * 1024 * 1024
    max_tx_bytes: int = 64 * 1024
    cache_size: int = 20_000  # recently seen tx hashes, to drop duplicates cheaply


@dataclass(frozen=True)
class MempoolTx:
    tx: bytes
    gas_wanted: int
    sender: bytes


class Mempool:
    def __init__(self, app: CheckTxApp, config: MempoolConfig) -> None:
        self.app = app
        self.config = config
        self._txs: OrderedDict[bytes, MempoolTx] = OrderedDict()
        self._bytes = 0
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._arrived = trio.Event()
        self.failed_txs = 0  # refused by the application's CheckTx since start (a metric)

    def size(self) -> int:
        return len(self._txs)

    def size_bytes(self) -> int:
        return self._bytes

    def txs(self, limit: int) -> list[bytes]:
        return [entry.tx for _, entry in zip(range(limit), self._txs.values(), strict=False)]

    def check_tx(self, tx: bytes) -> TxResult:
        """Admit ``tx`` or say why not; the result carries a stable code."""
        key = hashlib.sha256(tx).digest()
        try:
            self._precheck(key, tx)
        except InvalidTx as error:
            return failure(error)
        result = self.app.check_tx(tx)
        if result.code != 0:
            self._seen.pop(key, None)  # a tx rejected now may become valid later
            self.failed_txs += 1
            return result
        self._txs[key] = MempoolTx(tx, result.gas_wanted, result.sender)
        self._bytes += len(tx)
        self._arrived.set()
        return result

    def _precheck(self, key: bytes, tx: bytes) -> None:
        if len(tx) > self.config.max_tx_bytes:
            raise TxTooLarge(f"{len(tx)} bytes; the limit is {self.config.max_tx_bytes}")
        if key in self._seen:
            raise TxInMempoolCache()
        self._remember(key)
        if len(self._txs) >= self.config.size or self._bytes + len(tx) > self.config.max_txs_bytes:
            self._seen.pop(key, None)
            raise MempoolIsFull(f"{len(self._txs)} txs, {self._bytes} bytes")

    def _remember(self, key: bytes) -> None:
        self._seen[key] = None
        if len(self._seen) > self.config.cache_size:
            self._seen.popitem(last=False)

    def reap(self, max_bytes: int, max_gas: int) -> list[bytes]:
        """Txs in arrival order up to the block's byte and gas limits (-1: no gas limit).

        A tx that does not fit is skipped, with its sender's later txs (their sequences
        follow it), and reaping goes on: one large tx cannot keep the others out."""
        chosen: list[bytes] = []
        size = gas = 0
        skipped: set[bytes] = set()
        for entry in self._txs.values():
            if entry.sender in skipped:
                continue
            if size + len(entry.tx) > max_bytes or (max_gas >= 0 and gas + entry.gas_wanted > max_gas):
                skipped.add(entry.sender)
                continue
            chosen.append(entry.tx)
            size += len(entry.tx)
            gas += entry.gas_wanted
        return chosen

    async def wait_for_txs(self) -> None:
        while not self._txs:
            await self._arrived.wait()
            self._arrived = trio.Event()

    def update(self, height: int, txs: Sequence[bytes]) -> None:
        """Remove the block's txs, then recheck the rest against the new state."""
        for tx in txs:
            entry = self._txs.pop(hashlib.sha256(tx).digest(), None)
            if entry is not None:
                self._bytes -= len(entry.tx)
        for key, entry in list(self._txs.items()):
            if self.app.check_tx(entry.tx, recheck=True).code != 0:
                del self._txs[key]
                self._bytes -= len(entry.tx)
                self._seen.pop(key, None)
