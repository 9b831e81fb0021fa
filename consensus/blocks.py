"""Building, checking and applying blocks, for both engines.

``BlockExecutor`` is what the round state machine's ``getValue()`` and
``valid(v)`` are made of, and what commits a decided block (the
single-validator engine builds and commits with it too): it knows the block
store, the application, the mempool and the validator sets per height.

Validator sets follow CometBFT: the set of height h+2 is the set of h+1 with
the updates the application returned when finalizing h, and proposer
priorities advance once per height. Each set is staged with the block that
fixes it, so sets and blocks land in one atomic write.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import msgspec
import trio

from consensus.abci import (
    EMPTY_COMMIT_INFO,
    Application,
    CommitInfo,
    FinalizeBlockRequest,
    FinalizeResultLike,
    ValidatorUpdateLike,
    VoteInfo,
)
from consensus.bfttime import MIN_BLOCK_INTERVAL_NS, median_time
from consensus.codec import encode
from consensus.commit import InvalidCommit, verify_commit
from consensus.engine import BlockLimits, Mempool, ValidatorStore
from consensus.merkle import merkle_root
from consensus.privval import verify
from consensus.tendermint.evidence import (
    DEFAULT_POOL_LIMITS,
    EvidenceParams,
    EvidencePool,
    InvalidEvidence,
    PoolLimits,
    decode_evidence,
    encode_evidence,
    evidence_hash,
    evidence_height,
    misbehavior_of,
    offence_of,
)
from consensus.tendermint.messages import block_id
from consensus.types import (
    APP_VERSION,
    BLOCK_PROTOCOL,
    ZERO_BLOCK_ID,
    Block,
    BlockID,
    Commit,
    Data,
    Header,
    Version,
)
from consensus.validators import ValidatorSet, apply_updates

log = logging.getLogger("depind.consensus")


class InvalidBlock(Exception):
    """A block that does not follow from the chain so far; the message says what differs."""


@dataclass(frozen=True)
class ChainParams:
    """What genesis fixes, and a local setting: the evidence pool's bounds. Validity never
    reads it: block limits come from the application's consensus params."""

    chain_id: str
    initial_height: int
    genesis_time_ns: int
    evidence_limits: PoolLimits = DEFAULT_POOL_LIMITS


Finalize = Callable[[FinalizeBlockRequest], FinalizeResultLike]
Execute = Callable[[Finalize, FinalizeBlockRequest], Awaitable[FinalizeResultLike]]


async def in_worker_thread(finalize: Finalize, request: FinalizeBlockRequest) -> FinalizeResultLike:
    """The block executed off the event loop. Never abandoned on cancellation: the thread
    may be reading the database, which must not close under it."""
    return await trio.to_thread.run_sync(finalize, request)


async def on_the_loop(finalize: Finalize, request: FinalizeBlockRequest) -> FinalizeResultLike:
    """The block executed on the event loop: for simulations in virtual time, where a
    thread's real time would let the clock jump past timeouts meanwhile."""
    return finalize(request)


class BlockExecutor:
    def __init__(
        self,
        params: ChainParams,
        app: Application,
        store: ValidatorStore,
        mempool: Mempool,
        genesis_validators: ValidatorSet,
        execute: Execute | None = None,
    ) -> None:
        """``execute`` runs the application's execution of a block for ``apply_async``: in a
        worker thread by default."""
        self.params = params
        self._execute = execute or in_worker_thread
        self.app = app
        self.store = store
        self.mempool = mempool
        self._genesis_validators = genesis_validators
        self.evidence = EvidencePool(
            params.chain_id,
            self._evidence_params(),
            self._known_validators,
            verify,
            store.height(),
            store.evidence_committed,
            store.offence_committed,
            self._stored_time,
            params.evidence_limits,
        )

    # ---- consensus params (application state) --------------------------------------------

    def limits(self) -> BlockLimits:
        block = self.app.consensus_params().block
        return BlockLimits(block.max_bytes, block.max_gas)

    def _evidence_params(self) -> EvidenceParams:
        evidence = self.app.consensus_params().evidence
        return EvidenceParams(evidence.max_age_num_blocks, evidence.max_bytes, evidence.max_age_duration_ns)

    # ---- heights and validator sets --------------------------------------------------------

    def next_height(self) -> int:
        """The first height without a committed block."""
        return max(self.store.height() + 1, self.params.initial_height)

    def validators_at(self, height: int) -> ValidatorSet:
        """The set that decides ``height``; known up to two heights past the last block."""
        return validators_at(self.store, self._genesis_validators, self.params.initial_height, height)

    def _known_validators(self, height: int) -> ValidatorSet | None:
        try:
            return self.validators_at(height)
        except LookupError:
            return None

    def last_block_id(self, height: int) -> BlockID:
        """The id of the block before ``height``, as its commit names it."""
        commit = self.store.load_commit(height - 1)
        return ZERO_BLOCK_ID if commit is None else commit.block_id

    # ---- proposing ---------------------------------------------------------------------------

    def build(self, height: int, proposer: bytes, last_commit: Commit | None = None) -> Block:
        """A new block from the mempool, on top of the last committed one; ``last_commit``:
        the previous height's commit with the precommits collected since it was stored."""
        params = self.app.consensus_params()
        max_bytes = params.block.max_bytes
        if last_commit is None:
            last_commit = self.store.load_commit(height - 1)
        time_ns = self.block_time(height, last_commit)
        evidence = [encode_evidence(e) for e in self.evidence.pending(params.evidence.max_bytes)]
        data = Data([])  # the txs come once the rest is measured, then data_hash and evidence_hash
        header = Header(
            version=Version(BLOCK_PROTOCOL, APP_VERSION),
            chain_id=self.params.chain_id,
            height=height,
            time_ns=time_ns,
            last_block_id=self.last_block_id(height),
            last_commit_hash=last_commit.hash() if last_commit else merkle_root([]),
            data_hash=data.hash(),
            validators_hash=self.validators_at(height).hash(),
            next_validators_hash=self.validators_at(height + 1).hash(),
            consensus_hash=params.hash(),
            app_hash=self.app.info()[1],
            last_results_hash=self.store.load_results_hash(height - 1),
            evidence_hash=evidence_hash(evidence),
            proposer_address=proposer,
        )
        evidence, room = fit_evidence(Block(header, data, evidence, last_commit), max_bytes)
        reaped = self.mempool.reap(room, params.block.max_gas)
        data = Data(fit_list(self.app.prepare_proposal(reaped, room, params.block.max_gas, proposer), room))
        header = msgspec.structs.replace(header, data_hash=data.hash(), evidence_hash=evidence_hash(evidence))
        return Block(header, data, evidence, last_commit)

    # ---- checking ----------------------------------------------------------------------------

    def is_valid_proposal(self, block: Block) -> bool:
        """``valid(v)``: the block follows from our chain and the application accepts its
        txs. No clock is read: the block's time follows from its last commit."""
        try:
            self.check(block)
        except InvalidBlock as exc:
            log.warning("rejecting proposed block %d: %s", block.header.height, exc)
            return False
        limits = self.limits()
        proposer = block.header.proposer_address
        return self.app.process_proposal(block.data.txs, limits.max_bytes, limits.max_gas, proposer)

    def check(self, block: Block) -> None:
        """Raise ``InvalidBlock`` unless ``block`` is the next block of our chain in every field
        that our state determines (CometBFT's ``validateBlock``)."""
        header = block.header
        height = self.next_height()
        size, max_bytes = block_size(block), self.limits().max_bytes
        _expect(size <= max_bytes, f"{size} bytes, over block.max_bytes ({max_bytes})")
        _expect(header.height == height, f"height {header.height}, expected {height}")
        _expect(header.chain_id == self.params.chain_id, f"chain id {header.chain_id!r}")
        _expect(header.version == Version(BLOCK_PROTOCOL, APP_VERSION), f"version {header.version}")
        _expect(header.last_block_id == self.last_block_id(height), "last_block_id is not our last block")
        self._check_last_commit(block, height)
        _expect(header.data_hash == block.data.hash(), "data_hash does not match the txs")
        validators = self.validators_at(height)
        _expect(header.validators_hash == validators.hash(), "validators_hash is not this height's set")
        _expect(header.next_validators_hash == self.validators_at(height + 1).hash(), "next_validators_hash")
        _expect(header.consensus_hash == self.app.consensus_params().hash(), "consensus_hash")
        _expect(header.app_hash == self.app.info()[1], "app_hash differs from our state")
        _expect(header.last_results_hash == self.store.load_results_hash(height - 1), "last_results_hash")
        _expect(header.evidence_hash == evidence_hash(block.evidence), "evidence_hash does not match")
        try:
            self.evidence.check_block(block.evidence)
        except InvalidEvidence as exc:
            raise InvalidBlock(f"evidence: {exc}") from None
        _expect(validators.get(header.proposer_address) is not None, "proposer is not a validator")
        self._check_time(block, height)

    def _check_time(self, block: Block, height: int) -> None:
        """BFT time, exactly (the last commit is verified by now), and at least 1 ms after
        the last block: implied while less than a third of the power is faulty (more than
        half of a commit's power is then honest, and honest precommits come at least 1 ms
        after their block), checked anyway so that a commit with more faulty power cannot
        turn the chain's time back."""
        time_ns = block.header.time_ns
        if height == self.params.initial_height:
            _expect(time_ns == self.params.genesis_time_ns, "time is not the genesis time")
            return
        median = self.block_time(height, block.last_commit)
        _expect(time_ns == median, "time is not the median of the last commit")
        previous = self._previous_time(height)
        _expect(time_ns >= previous + MIN_BLOCK_INTERVAL_NS, "time does not follow the last block's")

    def block_time(self, height: int, last_commit: Commit | None) -> int:
        """BFT time (consensus/bfttime.py): the genesis time for the first block, else the
        weighted median of ``last_commit``'s precommit times, by the powers of the set that
        decided the height before."""
        if height == self.params.initial_height:
            return self.params.genesis_time_ns
        if last_commit is None:
            raise LookupError(f"no commit of height {height - 1} to take the time of block {height} from")
        return median_time(last_commit, self.validators_at(height - 1))

    def _check_last_commit(self, block: Block, height: int) -> None:
        last_commit = block.last_commit
        if height == self.params.initial_height:
            _expect(last_commit is None, "the first block carries a last commit")
            _expect(block.header.last_commit_hash == merkle_root([]), "last_commit_hash")
            return
        if last_commit is None:
            raise InvalidBlock("no last commit")
        _expect(last_commit.height == height - 1, f"last commit is for height {last_commit.height}")
        _expect(block.header.last_commit_hash == last_commit.hash(), "last_commit_hash")
        try:
            verify_commit(
                self.params.chain_id, self.validators_at(height - 1), last_commit, self.last_block_id(height)
            )
        except InvalidCommit as exc:
            raise InvalidBlock(f"last commit: {exc}") from None

    def check_commit(self, block: Block, commit: Commit) -> None:
        """Raise ``InvalidBlock`` unless ``commit`` decides ``block`` at the next height."""
        height = self.next_height()
        _expect(commit.height == height, f"commit is for height {commit.height}, expected {height}")
        try:
            verify_commit(self.params.chain_id, self.validators_at(height), commit, block_id(block))
        except InvalidCommit as exc:
            raise InvalidBlock(str(exc)) from None

    def _block_time(self, height: int) -> int:
        block = self.store.load_block(height)
        if block is None:
            raise LookupError(f"block {height} is not stored")  # the pool only offers committed heights
        return block.header.time_ns

    def _stored_time(self, height: int) -> int | None:
        block = self.store.load_block(height)
        return None if block is None else block.header.time_ns

    def _previous_time(self, height: int) -> int:
        previous = self.store.load_block(height - 1)
        return self.params.genesis_time_ns if previous is None else previous.header.time_ns

    # ---- committing --------------------------------------------------------------------------

    def apply(self, block: Block, commit: Commit) -> FinalizeResultLike:
        """Execute a decided block and persist it with its commit, results, the validator set
        it fixes and the offences it proves (less those expired at the block before), in one
        atomic write; then update the mempool."""
        result = self.app.finalize_block(self.finalize_request(block))
        self._persist(block, commit, result)
        return result

    async def apply_async(self, block: Block, commit: Commit) -> FinalizeResultLike:
        """``apply``, with the application executing the block in a worker thread, so that
        the event loop serves peers and clients meanwhile. Execution reads only the committed
        state (what it changes waits in the application until ``commit``), which is all the
        loop's readers see; storing and committing run on the loop, after it."""
        result = await self._execute(self.app.finalize_block, self.finalize_request(block))
        self._persist(block, commit, result)
        return result

    def _persist(self, block: Block, commit: Commit, result: FinalizeResultLike) -> None:
        height = block.header.height
        evidence = [decode_evidence(item) for item in block.evidence]
        after_next = apply_updates(self.validators_at(height + 1), _updates(result.validator_updates))
        self.store.stage_validators(height + 2, after_next.increment_priority())
        self.store.stage_block(block, commit, result)
        self.store.stage_offences(height, [offence_of(item) for item in evidence])
        self.store.stage_offence_expiry(self.evidence.is_expired)
        self.app.commit()
        self.evidence.params = self._evidence_params()
        self.evidence.mark_committed(evidence)
        self.evidence.update(height, block.header.time_ns)
        self.mempool.update(height, block.data.txs)

    def finalize_request(self, block: Block) -> FinalizeBlockRequest:
        """What the application is told of a decided block: its txs, who signed the last
        block (from the commit this block carries) and the misbehavior it proves."""
        header = block.header
        last_commit = block.last_commit
        info = EMPTY_COMMIT_INFO
        if last_commit is not None:
            info = commit_info(last_commit, self.validators_at(header.height - 1))
        misbehavior = [
            misbehavior_of(item, self._block_time(evidence_height(item)))
            for item in (decode_evidence(raw) for raw in block.evidence)
        ]
        return FinalizeBlockRequest(
            height=header.height,
            time_ns=header.time_ns,
            proposer=header.proposer_address,
            hash=block.hash(),
            last_block_hash=header.last_block_id.hash,
            txs=block.data.txs,
            decided_last_commit=info,
            misbehavior=misbehavior,
        )


def commit_info(commit: Commit, validators: ValidatorSet) -> CommitInfo:
    """Each validator of the set that decided ``commit``, with its power and vote flag."""
    votes = tuple(
        VoteInfo(validator.address, validator.voting_power, int(sig.block_id_flag))
        for validator, sig in zip(validators.validators, commit.signatures, strict=True)
    )
    return CommitInfo(commit.round, votes)


def validators_at(
    store: ValidatorStore, genesis: ValidatorSet, initial_height: int, height: int
) -> ValidatorSet:
    """The set that decides ``height``: stored with the block two heights before, or for the
    first two heights the genesis set (priorities advanced once per height). Raises
    ``LookupError`` for a height whose set is not known yet."""
    stored = store.load_validators(height)
    if stored is not None:
        return stored
    if height == initial_height:
        return genesis
    if height == initial_height + 1:
        return genesis.increment_priority()
    raise LookupError(f"no validator set known for height {height}")


def fit_evidence(empty: Block, max_bytes: int) -> tuple[list[bytes], int]:
    """For a block without txs: the prefix of its evidence that fits in ``max_bytes`` beside
    its header and last commit, and the room then left for the encoded tx list (CometBFT's
    ``MaxDataBytes``, measured from the encodings: a header's size does not depend on its
    txs or evidence, only their 32-byte hashes). Raises ``ValueError`` if not even the header
    and last commit fit."""
    without_evidence = block_size(msgspec.structs.replace(empty, evidence=[])) - _EMPTY_LIST_SIZE
    if without_evidence + _EMPTY_LIST_SIZE > max_bytes:
        raise ValueError(f"no room in {max_bytes} bytes for a header and last commit of {without_evidence}")
    evidence = fit_list(empty.evidence, max_bytes - without_evidence)
    without_txs = block_size(msgspec.structs.replace(empty, evidence=evidence)) - _EMPTY_LIST_SIZE
    return evidence, max_bytes - without_txs


def fit_list(items: Sequence[bytes], room: int) -> list[bytes]:
    """The longest prefix of ``items`` whose canonical encoding as a list takes at most ``room`` bytes."""
    size = 0
    for count, item in enumerate(items):
        size += len(encode(item))
        if _list_header_size(count + 1) + size > room:
            return list(items[:count])
    return list(items)


def block_size(block: Block) -> int:
    """The bytes ``block.max_bytes`` bounds: the block's canonical encoding."""
    return len(encode(block))


_EMPTY_LIST_SIZE = len(encode([]))


def _list_header_size(count: int) -> int:
    """MessagePack's array header: one byte up to 15 items, 3 up to 65,535, else 5."""
    return 1 if count < 16 else 3 if count < 1 << 16 else 5


def _updates(updates: Sequence[ValidatorUpdateLike]) -> list[tuple[bytes, int]]:
    """The application's validator updates as (ed25519 pub key, power)."""
    return [(update.pub_key, update.power) for update in updates]


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise InvalidBlock(problem)
