"""The depind process: storage, application, mempool, engine, event bus and
JSON-RPC, run as trio tasks in one nursery."""

from __future__ import annotations

import hashlib
import logging
import signal
import time
from dataclasses import dataclass, field

import msgspec
import trio

from consensus.abci import FinalizeResultLike
from consensus.codec import encode
from consensus.engine import BlockLimits, ConsensusConfig
from consensus.privval import FilePV
from consensus.solo import SoloEngine
from consensus.tasks import TaskStatus
from consensus.types import Block, BlockID, Commit
from consensus.validators import ValidatorSet
from consensus.wal import BlockWAL
from genesis import doc as genesis_doc
from genesis.schema import GenesisDoc
from node import config as node_config
from node.config import Config
from node.events import EventBus
from node.home import Home, HomeError
from node.mempool import Mempool, MempoolConfig
from node.rpc.server import serve
from node.storage.chain import ChainStore
from node.storage.leveldb import open_leveldb
from vm.app import App

log = logging.getLogger("depind.node")


class HandshakeError(Exception):
    """Stored blocks and application state disagree; the node will not start on them."""


@dataclass
class Node:
    home: Home
    config: Config
    genesis: GenesisDoc
    chain: ChainStore
    app: App
    mempool: Mempool
    bus: EventBus
    pv: FilePV
    validators: ValidatorSet
    started_ns: int = field(default_factory=time.time_ns)

    @classmethod
    def open(cls, home: Home) -> Node:
        if not home.is_initialised():
            raise HomeError(f"{home.root} is not initialised; run `depind init` first")
        config = node_config.load(home.config_file)
        genesis = genesis_doc.load(home.genesis_file)
        db = open_leveldb(home.db_path)
        chain = ChainStore(db)
        app = App(chain.state_kv, max_tx_bytes=config.mempool.max_tx_bytes)
        mempool = Mempool(app, MempoolConfig(**config.mempool.__dict__))
        pv = FilePV(home.key_file, home.state_file)
        validators = ValidatorSet.from_keys(
            [(genesis_doc.decode_pub_key(v.pub_key), v.power) for v in genesis.validators]
        )
        node = cls(home, config, genesis, chain, app, mempool, EventBus(), pv, validators)
        node.handshake()
        return node

    def close(self) -> None:
        self.chain.db.close()

    @property
    def chain_id(self) -> str:
        return self.genesis.chain_id

    @property
    def limits(self) -> BlockLimits:
        block = self.genesis.consensus_params.block
        return BlockLimits(block.max_bytes, block.max_gas)

    def consensus_hash(self) -> bytes:
        return hashlib.sha256(msgspec.json.encode(self.genesis.consensus_params)).digest()

    def handshake(self) -> None:
        """Bring the application level with the block store (CometBFT's handshake)."""
        app_height, _ = self.app.info()
        store_height = self.chain.height()
        if app_height == 0 and store_height == 0 and not self.app.state.chain_id():
            genesis_time = genesis_doc.parse_time(self.genesis.genesis_time)
            self.app.init_chain(self.genesis, genesis_time)
            log.info("initialised chain %s from genesis", self.chain_id)
            return
        if app_height > store_height:
            raise HandshakeError(f"application is at height {app_height}, block store at {store_height}")
        for height in range(app_height + 1, store_height + 1):
            self._replay(height)
        self._check_app_hash(store_height)

    def _replay(self, height: int) -> None:
        block = self.chain.load_block(height)
        if block is None:
            raise HandshakeError(f"block {height} is missing from the block store")
        header = block.header
        self.app.finalize_block(
            height,
            header.time_ns,
            header.proposer_address,
            header.last_block_id.hash,
            block.data.txs,
        )
        self.app.commit()
        log.info("replayed block %d", height)

    def _check_app_hash(self, height: int) -> None:
        results = self.chain.load_results(height)
        if results is not None and results.app_hash != self.app.info()[1]:
            raise HandshakeError(f"app hash at height {height} differs from the stored block results")

    async def on_commit(self, block: Block, commit: Commit, result: FinalizeResultLike) -> None:
        self.bus.publish_block(block, commit.block_id, result)
        log.info(
            "committed block height=%d txs=%d app_hash=%s",
            block.header.height,
            len(block.data.txs),
            result.app_hash.hex()[:16],
        )

    def engine(self) -> SoloEngine:
        settings = self.config.consensus
        return SoloEngine(
            chain_id=self.chain_id,
            app=self.app,
            store=self.chain,
            mempool=self.mempool,
            pv=self.pv,
            validators=self.validators,
            limits=self.limits,
            config=ConsensusConfig(
                settings.timeout_commit_s,
                settings.create_empty_blocks,
                settings.create_empty_blocks_interval_s,
            ),
            on_commit=self.on_commit,
            consensus_hash=self.consensus_hash(),
            wal=BlockWAL(self.home.data_dir / "block_wal"),
            initial_height=self.genesis.initial_height,
        )

    def block_id(self, height: int) -> BlockID | None:
        commit = self.chain.load_commit(height)
        return None if commit is None else commit.block_id

    def block_size(self, block: Block) -> int:
        return len(encode(block))

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(serve, self)
            await nursery.start(self.engine().run)
            nursery.start_soon(_stop_on_signal, nursery.cancel_scope)
            task_status.started()


async def _stop_on_signal(scope: trio.CancelScope) -> None:
    """SIGINT or SIGTERM: stop between blocks; committed state is already on disk."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for received in signals:
            log.info("received %s, shutting down", signal.Signals(received).name)
            scope.cancel()
            return
