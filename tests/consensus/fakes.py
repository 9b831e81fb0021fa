"""In-memory fakes of what an engine talks to: the application, a block store
and a mempool. They record what they are asked, so tests can check the calls."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import trio

from consensus.abci import FinalizeBlockRequest, Misbehavior
from consensus.codec import encode
from consensus.engine import BlockLimits
from consensus.merkle import merkle_root
from consensus.tendermint.evidence import EvidenceParams, Offence
from consensus.types import Block, Commit
from consensus.validators import ValidatorSet

GENESIS_APP_HASH = hashlib.sha256(b"genesis").digest()


@dataclass(frozen=True)
class FakeAttribute:
    key: str
    value: str
    index: bool = True


@dataclass(frozen=True)
class FakeEvent:
    type: str
    attributes: list[FakeAttribute] = field(default_factory=list)


def event(type_: str, **attributes: str) -> FakeEvent:
    return FakeEvent(type_, [FakeAttribute(k, v) for k, v in attributes.items()])


def flagged_event(type_: str, *attributes: tuple[str, str, bool]) -> FakeEvent:
    """An event of ``(key, value, index)`` attributes."""
    return FakeEvent(type_, [FakeAttribute(key, value, index) for key, value, index in attributes])


@dataclass(frozen=True)
class FakeTxResult:
    code: int = 0
    codespace: str = ""
    log: str = ""
    events: list[FakeEvent] = field(default_factory=list)
    gas_wanted: int = 100
    gas_used: int = 50
    data: bytes = b""


@dataclass(frozen=True)
class FakeResult:
    tx_results: list[FakeTxResult]
    events: list[FakeEvent] = field(default_factory=list)
    validator_updates: list[Any] = field(default_factory=list)
    app_hash: bytes = b""


@dataclass
class FinalizeCall:
    height: int
    time_ns: int
    proposer: bytes
    last_block_hash: bytes
    txs: list[bytes]


DEFAULT_LIMITS = BlockLimits(1 << 20, -1)
DEFAULT_EVIDENCE = EvidenceParams(max_age_num_blocks=100, max_bytes=64 * 1024)


@dataclass(frozen=True)
class FakeConsensusParams:
    block: BlockLimits = DEFAULT_LIMITS
    evidence: EvidenceParams = DEFAULT_EVIDENCE
    consensus_hash: bytes = b"\x11" * 32

    def hash(self) -> bytes:
        return self.consensus_hash


@dataclass
class FakeApp:
    """Each block's app hash chains the previous one, the height and the txs.

    Txs starting with ``b"drop"`` are left out by prepare_proposal."""

    height: int = 0
    app_hash: bytes = GENESIS_APP_HASH
    finalized: list[FinalizeCall] = field(default_factory=list)
    prepared: list[list[bytes]] = field(default_factory=list)
    commits: int = 0
    updates_at: dict[int, list[Any]] = field(default_factory=dict)  # validator updates per height
    misbehavior: list[Misbehavior] = field(default_factory=list)
    requests: list[FinalizeBlockRequest] = field(default_factory=list)
    params: FakeConsensusParams = field(default_factory=FakeConsensusParams)
    _pending: tuple[int, bytes] | None = None

    def info(self) -> tuple[int, bytes]:
        return self.height, self.app_hash

    def consensus_params(self) -> FakeConsensusParams:
        return self.params

    def prepare_proposal(
        self, txs: list[bytes], max_bytes: int, max_gas: int, proposer: bytes
    ) -> list[bytes]:
        self.prepared.append(list(txs))
        return [tx for tx in txs if not tx.startswith(b"drop")]

    def process_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int, proposer: bytes) -> bool:
        return True

    def finalize_block(self, request: FinalizeBlockRequest) -> FakeResult:
        height, txs = request.height, list(request.txs)
        self.requests.append(request)
        self.finalized.append(
            FinalizeCall(height, request.time_ns, request.proposer, request.last_block_hash, txs)
        )
        self.misbehavior.extend(request.misbehavior)
        app_hash = hashlib.sha256(self.app_hash + encode([height, txs])).digest()
        self._pending = (height, app_hash)
        updates = self.updates_at.get(height, [])
        return FakeResult([FakeTxResult() for _ in txs], validator_updates=updates, app_hash=app_hash)

    def commit(self) -> int:
        assert self._pending is not None, "commit without finalize_block"
        self.height, self.app_hash = self._pending
        self._pending = None
        self.commits += 1
        return 0


@dataclass
class FakeBlockStore:
    """consensus.engine.BlockStore over dicts; staged blocks land at once."""

    blocks: dict[int, Block] = field(default_factory=dict)
    commits: dict[int, Commit] = field(default_factory=dict)
    results: dict[int, FakeResult] = field(default_factory=dict)
    validators: dict[int, ValidatorSet] = field(default_factory=dict)
    offences: dict[Offence, int] = field(default_factory=dict)

    def height(self) -> int:
        return max(self.blocks, default=0)

    def load_block(self, height: int) -> Block | None:
        return self.blocks.get(height)

    def load_commit(self, height: int) -> Commit | None:
        return self.commits.get(height)

    def load_results_hash(self, height: int) -> bytes:
        result = self.results.get(height)
        if result is None:
            return merkle_root([])
        return merkle_root([encode([r.code, r.data, r.gas_wanted, r.gas_used]) for r in result.tx_results])

    def stage_block(self, block: Block, commit: Commit, result: Any) -> None:
        height = block.header.height
        self.blocks[height] = block
        self.commits[height] = commit
        self.results[height] = result

    def load_validators(self, height: int) -> ValidatorSet | None:
        return self.validators.get(height)

    def stage_validators(self, height: int, validators: ValidatorSet) -> None:
        self.validators[height] = validators

    def evidence_committed(self, evidence_id: bytes) -> bool:
        return any(
            hashlib.sha256(item).digest() == evidence_id
            for block in self.blocks.values()
            for item in block.evidence
        )

    def offence_committed(self, offence: Offence) -> bool:
        return offence in self.offences

    def stage_offences(self, height: int, offences: Sequence[Offence]) -> None:
        self.offences.update(dict.fromkeys(offences, height))

    def stage_offence_expiry(self, is_expired: Callable[[int], bool]) -> None:
        self.offences = {offence: h for offence, h in self.offences.items() if not is_expired(offence[1])}


@dataclass(frozen=True)
class FakeValidatorUpdate:
    pub_key: bytes
    power: int


@dataclass
class FakeMempool:
    txs: list[bytes] = field(default_factory=list)
    updates: list[tuple[int, list[bytes]]] = field(default_factory=list)
    _arrived: trio.Event = field(default_factory=trio.Event)

    def add(self, tx: bytes) -> None:
        self.txs.append(tx)
        self._arrived.set()

    def size(self) -> int:
        return len(self.txs)

    def reap(self, max_bytes: int, max_gas: int) -> list[bytes]:
        chosen, size = [], 0
        for tx in self.txs:
            if size + len(tx) > max_bytes:
                break
            chosen.append(tx)
            size += len(tx)
        return chosen

    async def wait_for_txs(self) -> None:
        while not self.txs:
            await self._arrived.wait()
            self._arrived = trio.Event()

    def update(self, height: int, txs: Sequence[bytes]) -> None:
        self.updates.append((height, list(txs)))
        self.txs = [tx for tx in self.txs if tx not in txs]
