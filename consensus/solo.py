"""The single-validator engine: the one validator proposes, signs and commits
a block every ``timeout_commit``. It builds and commits blocks with the same
``BlockExecutor`` as the Tendermint engine, so its blocks, commits and stored
validator sets look alike; only the agreement differs (there is none to reach).

Block times are BFT time as well: the precommit carries the validator's clock
(at least the block's time + 1 ms), and the next block's time is the median of
a commit with this one precommit, which is its time."""

from __future__ import annotations

import logging
import time

import trio

from consensus.bfttime import Clock, vote_time
from consensus.blocks import BlockExecutor
from consensus.engine import CommitListener, ConsensusConfig
from consensus.metrics import NO_METRICS, ConsensusMetrics
from consensus.privval import FilePV
from consensus.tasks import TaskStatus
from consensus.tendermint.messages import block_id
from consensus.tendermint.signer import PVSigner
from consensus.types import Block, BlockIDFlag, Commit, CommitSig, Vote, VoteType
from consensus.validators import ValidatorSet
from consensus.wal import BlockWAL

log = logging.getLogger("depind.consensus")


class NotAValidator(Exception):
    """This node's key is not in the validator set, so it cannot produce blocks alone."""


class SoloEngine:
    def __init__(
        self,
        executor: BlockExecutor,
        pv: FilePV,
        config: ConsensusConfig,
        on_commit: CommitListener,
        wal: BlockWAL,
        *,
        now: Clock = time.time_ns,
        metrics: ConsensusMetrics = NO_METRICS,
    ) -> None:
        """``now`` is the clock the precommits' times come from."""
        validators = executor.validators_at(executor.next_height())
        if validators.get(pv.address) is None or len(validators.validators) != 1:
            raise NotAValidator("the single-validator engine needs a set of exactly this node's key")
        self.executor = executor
        self.pv = pv
        self._signer = PVSigner(pv)
        self._now = now
        self.config = config
        self.on_commit = on_commit
        self.wal = wal
        self.metrics = metrics
        self._halted = False

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            height = self.executor.next_height()
            self.metrics.height_started(height, self.executor.validators_at(height))
            await self._wait_until_due()
            if self.can_decide():
                await self.produce_block()

    async def _wait_until_due(self) -> None:
        await trio.sleep(self.config.timeout_commit_s)
        if self.config.create_empty_blocks or self.executor.mempool.size() > 0:
            return
        interval = self.config.create_empty_blocks_interval_s
        with trio.move_on_after(interval if interval > 0 else float("inf")):
            await self.executor.mempool.wait_for_txs()

    def can_decide(self) -> bool:
        """Whether this key alone holds more than 2/3 of the next height's power. Staking may
        let others join the set; once they hold a third, the chain needs their votes, and a
        node without peers waits (as any CometBFT node would)."""
        height = self.executor.next_height()
        if _decides_alone(self.executor.validators_at(height), self.pv.address):
            return True
        if not self._halted:
            log.error("height %d needs other validators' votes; this node cannot commit alone", height)
            self._halted = True
        return False

    async def produce_block(self) -> Block:
        height = self.executor.next_height()
        validators = self.executor.validators_at(height)
        block = self.wal.load(height) or self._propose(height)
        commit = self._sign_commit(block, validators)
        started = time.perf_counter()
        result = await self.executor.apply_async(block, commit)
        self.metrics.block_committed(block, time.perf_counter() - started)
        await self.on_commit(block, commit, result)
        return block

    def _propose(self, height: int) -> Block:
        """A new block from the mempool, logged before it is signed."""
        block = self.executor.build(height, self.pv.address)
        self.wal.save(block)
        return block

    def _sign_commit(self, block: Block, validators: ValidatorSet) -> Commit:
        """This key's precommit in its slot of the set, at BFT time's vote time (after a
        restart, at the time it was first signed); every other validator absent."""
        height, value_id = block.header.height, block_id(block)
        found = validators.get(self.pv.address)
        if found is None:
            raise NotAValidator(f"this node's key is not in the validator set of height {height}")
        time_ns = vote_time(self._now(), block.header.time_ns)
        unsigned = Vote(VoteType.PRECOMMIT, height, 0, value_id, time_ns, self.pv.address, found[0], b"")
        vote = self._signer.sign_vote(self.executor.params.chain_id, unsigned)
        own = CommitSig(BlockIDFlag.COMMIT, self.pv.address, vote.timestamp_ns, vote.signature)
        absent = CommitSig(BlockIDFlag.ABSENT, b"", 0, b"")
        sigs = [own if v.address == self.pv.address else absent for v in validators.validators]
        return Commit(height, 0, value_id, sigs)


def _decides_alone(validators: ValidatorSet, address: bytes) -> bool:
    found = validators.get(address)
    return found is not None and 3 * found[1].voting_power > 2 * validators.total_power()
