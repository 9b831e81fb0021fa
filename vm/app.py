"""The depind application behind the ABCI-like interface (DESIGN.md).

One instance owns three views of state: the committed store, the block being
finalized (a cache flushed at ``commit``) and the mempool's check state (a
cache over committed state, rebuilt after every commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from genesis.schema import GenesisDoc
from vm import queries
from vm.auth import genesis as auth_genesis
from vm.auth.ante import Mode, run_ante, validate_basic
from vm.bank import genesis as bank_genesis
from vm.context import BlockEnv, Context, Event
from vm.errors import InvalidTx
from vm.execute import BANK, TxResult, deliver_tx, failure
from vm.gas import GasMeter, infinite_meter
from vm.provider import genesis as provider_genesis
from vm.router import end_block
from vm.state import CommittedState
from vm.store.cache import CacheStore, GasStore
from vm.store.kv import KVStore
from vm.tx import MAX_TX_BYTES, decode_tx


@dataclass(frozen=True)
class FinalizeResult:
    tx_results: list[TxResult]
    events: list[Event]
    validator_updates: list[Any]
    app_hash: bytes


@dataclass(frozen=True)
class QueryResult:
    code: int = 0
    codespace: str = ""
    log: str = ""
    key: bytes = b""
    value: bytes = b""
    height: int = 0
    proof: bytes = b""


@dataclass(frozen=True)
class InitChainResult:
    validators: list[Any]
    app_hash: bytes


@dataclass
class _Pending:
    height: int
    writes: dict[bytes, bytes | None]
    app_hash: bytes


@dataclass
class App:
    kv: KVStore
    max_tx_bytes: int = MAX_TX_BYTES
    state: CommittedState = field(init=False)
    check_state: CacheStore = field(init=False)
    _pending: _Pending | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.state = CommittedState(self.kv)
        self.check_state = CacheStore(self.state.values)

    # -- lifecycle -----------------------------------------------------------------

    def info(self) -> tuple[int, bytes]:
        """Last committed height and app hash (the handshake's starting point)."""
        return self.state.height(), self.state.app_hash()

    def init_chain(self, doc: GenesisDoc, time_ns: int) -> InitChainResult:
        """Write genesis state and commit it at height initial_height - 1."""
        validate_genesis(doc)
        block = CacheStore(self.state.values)
        app_state = doc.app_state
        auth_genesis.init_genesis(block, app_state.auth)
        bank_genesis.init_genesis(block, app_state.bank)
        provider_genesis.init_genesis(block, app_state.provider)
        root, writes = self.state.prepare(block.changes(), doc.initial_height - 1, time_ns, doc.chain_id)
        self.kv.write(writes)
        self.check_state = CacheStore(self.state.values)
        return InitChainResult([], root)

    def check_tx(self, tx_bytes: bytes, recheck: bool = False, keep: bool = True) -> TxResult:
        """Mempool admission: stateless checks and the ante handler on the check state.

        With ``keep`` false the check state is left as it was (the check_tx RPC)."""
        env = self.next_env()
        try:
            tx = decode_tx(tx_bytes, self.max_tx_bytes)
            signer = validate_basic(tx, env.chain_id, env.height)
        except InvalidTx as error:
            return failure(error)
        meter = GasMeter(tx.auth_info.fee.gas_limit)
        cache = CacheStore(self.check_state)
        mode = Mode.RECHECK if recheck else Mode.DELIVER
        try:
            run_ante(Context(GasStore(cache, meter), env, meter), tx, len(tx_bytes), signer, BANK, mode)
        except InvalidTx as error:
            return failure(error, meter)
        if keep:
            cache.write()
        fee = sum(c.amount for c in tx.auth_info.fee.amount)
        return TxResult(
            gas_wanted=meter.limit,
            gas_used=meter.consumed,
            sender=signer,
            sequence=tx.auth_info.sequence,
            fee=fee,
        )

    def prepare_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int) -> list[bytes]:
        """Keep mempool order; stop at the block's byte and gas limits."""
        chosen: list[bytes] = []
        size = gas = 0
        for tx_bytes in txs:
            wanted = _gas_wanted(tx_bytes, self.max_tx_bytes)
            if size + len(tx_bytes) > max_bytes or (max_gas >= 0 and gas + wanted > max_gas):
                break
            chosen.append(tx_bytes)
            size += len(tx_bytes)
            gas += wanted
        return chosen

    def process_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int) -> bool:
        """Reject blocks over the limits; bad txs inside are answered with error results."""
        size = sum(len(t) for t in txs)
        gas = sum(_gas_wanted(t, self.max_tx_bytes) for t in txs)
        return size <= max_bytes and (max_gas < 0 or gas <= max_gas)

    def finalize_block(
        self,
        height: int,
        time_ns: int,
        proposer: bytes,
        last_block_hash: bytes,
        txs: list[bytes],
        misbehavior: Sequence[Any] = (),
    ) -> FinalizeResult:
        """Execute a decided block; state is persisted only by ``commit``.

        ``misbehavior``: the block's committed evidence (``consensus.abci.Misbehavior``),
        reported as events until staking can slash for it."""
        env = BlockEnv(self.state.chain_id(), height, time_ns, proposer, last_block_hash)
        block = CacheStore(self.state.values)
        results = [deliver_tx(block, env, tx, self.max_tx_bytes) for tx in txs]
        hooks = Context(block, env, infinite_meter())
        for item in misbehavior:
            hooks.emit(
                "misbehavior",
                kind=str(item.kind),
                validator=bytes(item.validator_address).hex().upper(),
                height=str(int(item.height)),
            )
        end_block(hooks, BANK)
        root, writes = self.state.prepare(block.changes(), height, time_ns, env.chain_id)
        self._pending = _Pending(height, writes, root)
        return FinalizeResult(results, hooks.events, [], root)

    def commit(self) -> int:
        """Persist the finalized block's state atomically; returns the retain height (0: keep all)."""
        if self._pending is None:
            raise RuntimeError("commit without finalize_block")
        self.kv.write(self._pending.writes)
        self._pending = None
        self.check_state = CacheStore(self.state.values)
        return 0

    # -- queries -------------------------------------------------------------------

    def query(self, path: str, data: bytes, height: int = 0, prove: bool = False) -> QueryResult:
        last = self.state.height()
        if height not in (0, last):
            return QueryResult(
                26,
                "sdk",
                f"state at height {height} is not retained; query the latest height ({last})",
            )
        try:
            key, value, proof = queries.run(self, path, data, prove)
        except InvalidTx as error:
            return QueryResult(error.code, error.codespace, error.log, height=last)
        return QueryResult(key=key, value=value, height=last, proof=proof)

    def next_env(self) -> BlockEnv:
        return BlockEnv(self.state.chain_id(), self.state.height() + 1, self.state.last_time_ns(), b"", b"")

    def simulate(self, tx_bytes: bytes) -> TxResult:
        """Gas a tx would use on the check state, without its signature or fee checks."""
        return queries.simulate(self, tx_bytes)


def validate_genesis(doc: GenesisDoc) -> None:
    auth_genesis.validate_genesis(doc.app_state.auth)
    bank_genesis.validate_genesis(doc.app_state.bank)
    provider_genesis.validate_genesis(doc.app_state.provider)
    provider_genesis.validate_pool(doc.app_state.provider, doc.app_state.bank)


def _gas_wanted(tx_bytes: bytes, max_tx_bytes: int) -> int:
    try:
        return decode_tx(tx_bytes, max_tx_bytes).auth_info.fee.gas_limit
    except InvalidTx:
        return 0
