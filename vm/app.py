"""The depind application behind the ABCI-like interface (DESIGN.md).

One instance owns three views of state: the committed store, the block being
finalized (a cache flushed at ``commit``) and the mempool's check state (a
cache over committed state, rebuilt after every commit). What the chain is made
of (messages, genesis, hooks, queries) comes from the module registry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from genesis.schema import ConsensusParams, GenesisDoc, get_section
from vm import queries
from vm.auth.ante import Mode
from vm.beacon.events import BeaconEntry
from vm.beacon.keeper import BeaconKeeper, Entry, EntrySource, decode_entry, encode_entry, is_entry
from vm.beacon.module import NAME as BEACON
from vm.block import FinalizeRequestLike, ValidatorUpdate
from vm.context import BlockEnv, Context, Event
from vm.errors import InvalidGasLimit, InvalidRequest, InvalidTx, NodeFault, grpc_log
from vm.execute import DECODED_TXS, NODE_FAULTS, TxPipeline, TxResult, failure, hook_context
from vm.gas import GasMeter
from vm.genesis_validators import genesis_validators
from vm.genutil.deliver import deliver_gentxs
from vm.genutil.gentx import MAX_GENTX_BYTES
from vm.genutil.module import NAME as GENUTIL
from vm.genutil.module import GenutilGenesis
from vm.modules import default_registry
from vm.registry import CONSENSUS, InvariantBroken, Registry
from vm.staking.module import NAME as STAKING
from vm.state import CommittedState
from vm.store.cache import CacheStore, ReadStore
from vm.store.kv import KVStore, MemoryKV
from vm.upgrade import abci as upgrade
from vm.upgrade.handlers import KNOWN
from vm.upgrade.module import NAME as UPGRADE
from vm.upgrade.types import Plan, UpgradeHandler

BLOCK_HOOK_GAS = 10**10
GRPC_PATH = re.compile(r"/[A-Za-z0-9_.]+\.[A-Za-z0-9_]+/[A-Za-z0-9_]+")  # /<package>.<Service>/<Method>
"""Gas for all of one block's hooks together; their work is bounded by queues with
per-block budgets, so reaching this is a bug (the chain stops rather than run on)."""


@dataclass(frozen=True)
class FinalizeResult:
    tx_results: list[TxResult]
    events: list[Event]
    validator_updates: list[ValidatorUpdate]
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
    validators: list[ValidatorUpdate]
    app_hash: bytes


@dataclass
class _Pending:
    height: int
    writes: dict[bytes, bytes | None]
    app_hash: bytes


@dataclass
class App:
    kv: KVStore
    registry: Registry = field(default_factory=default_registry)
    state: CommittedState = field(init=False)
    check_state: CacheStore = field(init=False)
    pipeline: TxPipeline = field(init=False)
    beacon_source: EntrySource | None = None  # set by a validator node: it proposes with it
    # This binary's migrations and the node's skipped upgrade heights (vm/upgrade/abci.py).
    upgrade_handlers: Mapping[str, UpgradeHandler] = field(default_factory=lambda: KNOWN)
    skip_upgrade_heights: frozenset[int] = frozenset()
    decoded_txs: int = DECODED_TXS  # txs whose decoding is remembered (vm/execute.py)
    _params: ConsensusParams | None = field(init=False, default=None)
    _next_env: BlockEnv | None = field(init=False, default=None)
    _pending: _Pending | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.state = CommittedState(self.kv)
        self.pipeline = TxPipeline(self.registry, self.decoded_txs)
        self.beacon: BeaconKeeper = self.registry.keeper(BEACON)
        self._refresh()

    def _refresh(self) -> None:
        """After genesis or a commit: a new check state and the params now in force."""
        self.check_state = CacheStore(self.state.values)
        self._params = None
        self._next_env = None

    # -- lifecycle -----------------------------------------------------------------

    def info(self) -> tuple[int, bytes]:
        """Last committed height and app hash (the handshake's starting point)."""
        return self.state.height(), self.state.app_hash()

    def consensus_params(self) -> ConsensusParams:
        """The limits blocks are judged by, from committed state (genesis before the first block)."""
        if self._params is None:
            self._params = self.registry.keeper(CONSENSUS).get(self.state.values)
        return self._params

    def init_chain(self, doc: GenesisDoc, time_ns: int) -> InitChainResult:
        """Write genesis state and commit it at height initial_height - 1."""
        block = CacheStore(self.state.values)
        env = BlockEnv(doc.chain_id, doc.initial_height - 1, time_ns, b"", b"")
        hooks = hook_context(block, env, BLOCK_HOOK_GAS)
        self.registry.init_genesis(hooks, doc)
        _check_genesis_invariants(self.registry, block)  # the sections as written, before any tx
        gen_txs = get_section(doc, GENUTIL, GenutilGenesis).gen_txs
        deliver_gentxs(
            gen_txs,
            self.registry,
            lambda tx: self.pipeline.deliver(block, env, tx, MAX_GENTX_BYTES, Mode.GENESIS),
        )
        validators = _first_validators(doc, self._staking_validators(hooks))
        _check_genesis_invariants(self.registry, block)
        root, writes = self.state.prepare(block.changes(), doc.initial_height - 1, time_ns, doc.chain_id)
        self.kv.write(writes)
        self._refresh()
        return InitChainResult(validators, root)

    def _staking_validators(self, hooks: Context) -> list[ValidatorUpdate]:
        if not self.registry.has(STAKING):  # a chain without staking (some tests build one)
            return []
        updates: list[ValidatorUpdate] = self.registry.keeper(STAKING).init_validator_set(hooks)
        return updates

    def check_tx(self, tx_bytes: bytes, recheck: bool = False, keep: bool = True) -> TxResult:
        """Mempool admission: stateless checks and the ante handler on the check state.

        With ``keep`` false the check state is left as it was (the check_tx RPC)."""
        env = self.next_env()
        block = self.consensus_params().block
        try:
            admitted = self.pipeline.admit(tx_bytes, env, block.max_tx_bytes)
            _check_fits_a_block(admitted.tx.auth_info.fee.gas_limit, block.max_gas)
        except InvalidTx as error:
            return failure(error)
        meter = GasMeter(admitted.tx.auth_info.fee.gas_limit)
        mode = Mode.RECHECK if recheck else Mode.DELIVER
        try:
            ante = self.pipeline.run_ante(self.check_state, env, admitted, mode, meter)
        except InvalidTx as error:
            return failure(error, meter)
        if keep:
            ante.write()
        return TxResult(
            gas_wanted=meter.limit,
            gas_used=meter.consumed,
            sender=admitted.signer,
            sequence=admitted.tx.auth_info.sequence or 0,
            fee=sum(c.amount for c in admitted.tx.auth_info.fee.amount),
        )

    def prepare_proposal(
        self, txs: list[bytes], max_bytes: int, max_gas: int, proposer: bytes
    ) -> list[bytes]:
        """Our beacon entry first, then mempool order, skipping a tx that does not fit (and its
        sender's later txs, whose sequences would fail): no single tx keeps the others out."""
        entry = self._own_entry(proposer)
        chosen: list[bytes] = [] if entry is None else [entry]
        size, gas = sum(len(t) for t in chosen), 0
        skipped: set[bytes] = set()
        max_tx_bytes = self.consensus_params().block.max_tx_bytes
        for tx_bytes in txs:
            wanted, sender = self._gas_and_sender(tx_bytes, max_tx_bytes)
            if sender in skipped:
                continue
            if size + len(tx_bytes) > max_bytes or (max_gas >= 0 and gas + wanted > max_gas):
                skipped.add(sender)
                continue
            chosen.append(tx_bytes)
            size += len(tx_bytes)
            gas += wanted
        return chosen

    def process_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int, proposer: bytes) -> bool:
        """Reject blocks over the limits or without the beacon entry their proposer owes; bad
        txs inside are answered with error results."""
        raw_entry, rest = split_entry(txs)
        if any(is_entry(t) for t in rest):
            return False
        try:
            self._checked_entry(self.state.values, proposer, raw_entry)
        except InvalidTx:
            return False
        max_tx_bytes = self.consensus_params().block.max_tx_bytes
        size = sum(len(t) for t in txs)
        gas = sum(self._gas_and_sender(t, max_tx_bytes)[0] for t in txs)
        return size <= max_bytes and (max_gas < 0 or gas <= max_gas)

    def finalize_block(self, request: FinalizeRequestLike) -> FinalizeResult:
        """Execute a decided block; state is persisted only by ``commit``. A fault of this
        node (not of the block) raises ``NodeFault``, and a block this binary must not run
        (a software upgrade) ``UpgradeHalt``; both leave state as it was."""
        try:
            return self._finalize(request)
        except NODE_FAULTS as fault:
            raise NodeFault(f"block {request.height}: {type(fault).__name__}: {fault}") from fault
        except (InvalidTx, InvariantBroken) as bug:  # txs answer their own errors: a hook failed
            raise NodeFault(f"block {request.height}: {bug}; the chain cannot go on safely") from bug

    def _finalize(self, request: FinalizeRequestLike) -> FinalizeResult:
        block = CacheStore(self.state.values)
        raw_entry, txs = split_entry(request.txs)
        beacon, entry_results = self._apply_entry(block, request, raw_entry)
        env = BlockEnv(
            chain_id=self.state.chain_id(),
            height=request.height,
            time_ns=request.time_ns,
            proposer=request.proposer,
            beacon=beacon,
            last_commit=request.decided_last_commit,
            misbehavior=request.misbehavior,
            max_evidence_age_blocks=self.consensus_params().evidence.max_age_num_blocks,
        )
        max_tx_bytes = self.consensus_params().block.max_tx_bytes
        hooks = hook_context(block, env, BLOCK_HOOK_GAS)
        self._pre_block(hooks)
        self.registry.begin_block(hooks)
        results = entry_results + [self.pipeline.deliver(block, env, tx, max_tx_bytes) for tx in txs]
        updates = self.registry.end_block(hooks)
        root, writes = self.state.prepare(block.changes(), request.height, request.time_ns, env.chain_id)
        self._pending = _Pending(request.height, writes, root)
        return FinalizeResult(results, hooks.events, updates, root)

    def _pre_block(self, hooks: Context) -> None:
        if self.registry.has(UPGRADE):
            keeper = self.registry.keeper(UPGRADE)
            upgrade.pre_block(keeper, hooks, self.upgrade_handlers, self.skip_upgrade_heights)

    def upgrade_due(self, height: int) -> Plan | None:
        """The upgrade this binary would stop for at block ``height`` (``UpgradeNeeded``),
        read from committed state: a node checks it before taking part in that height."""
        if not self.registry.has(UPGRADE):
            return None
        keeper = self.registry.keeper(UPGRADE)
        return upgrade.halting_plan(
            keeper, self.state.values, height, self.upgrade_handlers, self.skip_upgrade_heights
        )

    def _apply_entry(
        self, block: CacheStore, request: FinalizeRequestLike, raw: bytes | None
    ) -> tuple[bytes, list[TxResult]]:
        """The block's beacon value, and the result of its entry if it has one."""
        try:
            entry = self._checked_entry(block, request.proposer, raw)
        except InvalidTx as error:
            value = self.beacon.advance(block, request.height, request.proposer, None)
            return value, [] if raw is None else [failure(error)]
        value = self.beacon.advance(block, request.height, request.proposer, entry)
        if entry is None:
            return value, []
        action = "reveal" if entry.reveal else "commit"
        event = BeaconEntry(proposer=request.proposer.hex().upper(), action=action, value=value.hex())
        return value, [TxResult(events=[event.to_event()])]

    def _checked_entry(self, store: ReadStore, proposer: bytes, raw: bytes | None) -> Entry | None:
        """The block's entry if it is what its proposer owes; raises ``InvalidTx`` if not."""
        entry = None if raw is None else decode_entry(raw)
        if raw is not None and entry is None:
            raise InvalidRequest("malformed beacon entry")
        self.beacon.check(store, proposer, entry)
        return entry

    def _own_entry(self, proposer: bytes) -> bytes | None:
        source = self.beacon_source
        if source is None or source.address != proposer:
            return None
        return encode_entry(source.entry(self.beacon.onion(self.state.values, proposer)))

    def commit(self) -> int:
        """Persist the finalized block's state atomically; returns the retain height (0: keep all)."""
        if self._pending is None:
            raise RuntimeError("commit without finalize_block")
        self.kv.write(self._pending.writes)
        self._pending = None
        self._refresh()
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
            return _failed(path, error.code, error.codespace, error.log, last)
        except queries.SimulationFailed as failed:
            return _failed(path, failed.result.code, failed.result.codespace, failed.result.log, last)
        return QueryResult(key=key, value=value, height=last, proof=proof)

    def next_env(self) -> BlockEnv:
        """The environment CheckTx and queries assume: the next height, the last block's time."""
        if self._next_env is None:
            state = self.state
            self._next_env = BlockEnv(state.chain_id(), state.height() + 1, state.last_time_ns(), b"", b"")
        return self._next_env

    def simulate(self, tx_bytes: bytes) -> TxResult:
        """Gas a tx would use on the check state, without its signature or fee checks."""
        return queries.simulate(self, tx_bytes)

    def export_genesis(self, doc: GenesisDoc) -> GenesisDoc:
        """``doc`` with this state as its consensus params and app_state (export then
        init gives the same app hash)."""
        consensus, sections = self.registry.export_genesis(self.state.values)
        return msgspec.structs.replace(
            doc, consensus_params=msgspec.convert(consensus, ConsensusParams), app_state=sections
        )

    def _gas_and_sender(self, tx_bytes: bytes, max_tx_bytes: int) -> tuple[int, bytes]:
        """A tx's gas limit and signer for block packing; 0 and no signer if it cannot be
        decoded (it will fail in the block without using gas)."""
        try:
            tx = self.pipeline.decode(tx_bytes, max_tx_bytes)
        except InvalidTx:
            return 0, b""
        return tx.auth_info.fee.gas_limit, tx.body.messages[0].signer().encode()


def _failed(path: str, code: int, codespace: str, log: str, height: int) -> QueryResult:
    """A failed query; a gRPC path's log reads as a gRPC error, as Cosmos clients expect."""
    if GRPC_PATH.fullmatch(path):
        log = grpc_log(code, codespace, log)
    return QueryResult(code, codespace, log, height=height)


def split_entry(txs: Sequence[bytes]) -> tuple[bytes | None, list[bytes]]:
    """A block's beacon entry (always first, if any) and its txs."""
    if txs and is_entry(txs[0]):
        return txs[0], list(txs[1:])
    return None, list(txs)


def validate_genesis(doc: GenesisDoc, registry: Registry | None = None) -> list[ValidatorUpdate]:
    """Every module's section, the gentxs, then the invariants of the state genesis would
    write; returns the validator set the chain would start with."""
    app = App(MemoryKV(), registry or default_registry())
    return app.init_chain(doc, 0).validators


def _first_validators(doc: GenesisDoc, staking: list[ValidatorUpdate]) -> list[ValidatorUpdate]:
    """The chain's first validator set: the staking module's (from the gentxs or an exported
    staking state). A genesis ``validators`` list, if any, must be that same set, as CometBFT
    requires. On its own (no staking validators) it still starts a chain, for tools and tests
    that write validators directly: staking knows nothing of them and changes only the
    validators it bonds itself (docs/staking.md)."""
    listed = genesis_validators(doc)
    if not staking:
        return listed
    if listed and sorted(listed, key=_by_key) != sorted(staking, key=_by_key):
        raise InvalidRequest("genesis validators differ from the staking module's; leave the list empty")
    return staking


def _by_key(update: ValidatorUpdate) -> bytes:
    return update.pub_key


def _check_fits_a_block(gas_limit: int, max_gas: int) -> None:
    """A tx that could never fit in a block is refused at once (CometBFT's PostCheckMaxGas)."""
    if max_gas >= 0 and gas_limit > max_gas:
        raise InvalidGasLimit(f"gas wanted {gas_limit} is greater than the block's max gas {max_gas}")


def _check_genesis_invariants(registry: Registry, store: CacheStore) -> None:
    broken = registry.broken_invariants(store)
    if broken:
        raise InvalidRequest(f"genesis breaks invariants: {'; '.join(broken)}")
