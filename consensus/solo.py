"""The single-validator engine: the one validator proposes, signs and commits
a block every ``timeout_commit``. It builds the same Block/Commit values the
Tendermint engine will, so only the engine changes with more validators."""

from __future__ import annotations

import hashlib
import logging
import time

import trio

from consensus.abci import Application
from consensus.codec import encode
from consensus.engine import BlockLimits, BlockStore, CommitListener, ConsensusConfig, Mempool
from consensus.merkle import merkle_root
from consensus.privval import STEP_PRECOMMIT, FilePV
from consensus.tasks import TaskStatus
from consensus.types import (
    APP_VERSION,
    BLOCK_PROTOCOL,
    ZERO_BLOCK_ID,
    Block,
    BlockID,
    BlockIDFlag,
    Commit,
    CommitSig,
    Data,
    Header,
    PartSetHeader,
    Version,
    VoteType,
    vote_sign_bytes,
)
from consensus.validators import ValidatorSet
from consensus.wal import BlockWAL

log = logging.getLogger("depind.consensus")


class NotAValidator(Exception):
    """This node's key is not in the validator set, so it cannot produce blocks alone."""


class SoloEngine:
    def __init__(
        self,
        chain_id: str,
        app: Application,
        store: BlockStore,
        mempool: Mempool,
        pv: FilePV,
        validators: ValidatorSet,
        limits: BlockLimits,
        config: ConsensusConfig,
        on_commit: CommitListener,
        consensus_hash: bytes,
        wal: BlockWAL,
        initial_height: int = 1,
    ) -> None:
        if validators.get(pv.address) is None or len(validators.validators) != 1:
            raise NotAValidator("the single-validator engine needs a set of exactly this node's key")
        self.chain_id = chain_id
        self.app = app
        self.store = store
        self.mempool = mempool
        self.pv = pv
        self.validators = validators
        self.limits = limits
        self.config = config
        self.on_commit = on_commit
        self.consensus_hash = consensus_hash
        self.initial_height = initial_height
        self.wal = wal

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._wait_until_due()
            await self.produce_block()

    async def _wait_until_due(self) -> None:
        await trio.sleep(self.config.timeout_commit_s)
        if self.config.create_empty_blocks or self.mempool.size() > 0:
            return
        interval = self.config.create_empty_blocks_interval_s
        with trio.move_on_after(interval if interval > 0 else float("inf")):
            await self.mempool.wait_for_txs()

    async def produce_block(self) -> Block:
        height = max(self.store.height() + 1, self.initial_height)
        block = self.wal.load(height) or self._propose(height)
        txs = block.data.txs
        block_id = BlockID(block.hash(), PartSetHeader(1, hashlib.sha256(encode(block)).digest()))
        commit = self._sign_commit(height, block_id, block.header.time_ns)
        result = self.app.finalize_block(
            height, block.header.time_ns, self.pv.address, block.header.last_block_id.hash, txs
        )
        self.store.stage_block(block, commit, result)
        self.app.commit()
        self.mempool.update(height, txs)
        await self.on_commit(block, commit, result)
        return block

    def _propose(self, height: int) -> Block:
        """A new block from the mempool, logged before it is signed."""
        limits = self.limits
        reaped = self.mempool.reap(limits.max_bytes, limits.max_gas)
        block = self._build(height, self.app.prepare_proposal(reaped, limits.max_bytes, limits.max_gas))
        self.wal.save(block)
        return block

    def _build(self, height: int, txs: list[bytes]) -> Block:
        previous = self.store.load_block(height - 1)
        last_commit = self.store.load_commit(height - 1)
        last_block_id = ZERO_BLOCK_ID if last_commit is None else last_commit.block_id
        _, app_hash = self.app.info()
        now = max(time.time_ns(), (previous.header.time_ns if previous else 0) + 1_000_000)
        data = Data(txs)
        header = Header(
            version=Version(BLOCK_PROTOCOL, APP_VERSION),
            chain_id=self.chain_id,
            height=height,
            time_ns=now,
            last_block_id=last_block_id,
            last_commit_hash=last_commit.hash() if last_commit else merkle_root([]),
            data_hash=data.hash(),
            validators_hash=self.validators.hash(),
            next_validators_hash=self.validators.hash(),
            consensus_hash=self.consensus_hash,
            app_hash=app_hash,
            last_results_hash=self.store.load_results_hash(height - 1),
            evidence_hash=merkle_root([]),
            proposer_address=self.pv.address,
        )
        return Block(header, data, [], last_commit)

    def _sign_commit(self, height: int, block_id: BlockID, time_ns: int) -> Commit:
        sign_bytes = vote_sign_bytes(self.chain_id, VoteType.PRECOMMIT, height, 0, block_id, time_ns)
        signature = self.pv.sign(height, 0, STEP_PRECOMMIT, sign_bytes)
        sig = CommitSig(BlockIDFlag.COMMIT, self.pv.address, time_ns, signature)
        return Commit(height, 0, block_id, [sig])
