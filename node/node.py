"""The depind process: storage, application, mempool, engine, event bus and
JSON-RPC, run as trio tasks in one nursery."""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from consensus import blocks
from consensus.abci import FinalizeResultLike
from consensus.blocks import BlockExecutor, ChainParams
from consensus.codec import encode
from consensus.engine import ConsensusConfig
from consensus.privval import FilePV
from consensus.solo import SoloEngine
from consensus.tasks import TaskStatus
from consensus.tendermint.config import TimeoutConfig
from consensus.tendermint.engine import EngineConfig, Network, TendermintEngine
from consensus.tendermint.evidence import PoolLimits
from consensus.tendermint.signer import PVSigner
from consensus.tendermint.wal import WAL
from consensus.types import Block, BlockID, Commit
from consensus.validators import ValidatorSet
from consensus.wal import BlockWAL
from genesis import doc as genesis_doc
from genesis.schema import GenesisDoc
from node import config as node_config
from node.beacon import ValidatorOnions
from node.config import Config
from node.events import EventBus
from node.gc_schedule import collect_periodically
from node.home import Home, HomeError
from node.mempool import Mempool, MempoolConfig
from node.metrics.registry import NodeMetrics, open_metrics
from node.metrics.server import serve as serve_metrics
from node.rest.server import serve as serve_rest
from node.rpc.server import serve
from node.sign_guard import SigningRiskError, check_signing_risk
from node.storage.chain import ChainStore
from node.storage.leveldb import cached, open_leveldb
from node.upgrade import check_upgrade_due
from vm.app import App
from vm.execute import TxResult
from vm.store.kv import MemoryKV
from vm.upgrade.errors import UpgradeHalt

if TYPE_CHECKING:
    from node.network import NetworkServices
    from node.verifier import Verifier

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
    consensus: TendermintEngine | None = None  # set while the networked engine runs
    network: NetworkServices | None = None
    metrics: NodeMetrics = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = open_metrics(self)

    @classmethod
    def open(cls, home: Home, skip_upgrade_heights: frozenset[int] = frozenset()) -> Node:
        """The node of ``home``, level with its block store; raises ``UpgradeHalt`` if the
        next height needs another binary. ``skip_upgrade_heights``: upgrades this node skips
        (``--unsafe-skip-upgrades``, docs/upgrades.md)."""
        if not home.is_initialised():
            raise HomeError(f"{home.root} is not initialised; run `depind init` first")
        config = node_config.load(home.config_file)
        genesis = genesis_doc.load(home.genesis_file)
        db = open_leveldb(home.db_path, config.storage.cache_mib, config.storage.write_buffer_mib)
        chain = ChainStore(db)
        pv = FilePV(home.key_file, home.state_file)
        try:
            check_signing_risk(
                chain, pv.address, home.state_file.exists(), config.consensus.double_sign_check_height
            )
        except SigningRiskError:
            db.close()
            raise
        app = App(
            cached(chain.state_kv),
            beacon_source=ValidatorOnions(pv.secret, genesis.chain_id),
            skip_upgrade_heights=skip_upgrade_heights,
        )
        mempool = Mempool(app, MempoolConfig(**config.mempool.__dict__))
        validators = first_validators(chain, app, genesis)
        node = cls(home, config, genesis, chain, app, mempool, EventBus(), pv, validators)
        try:
            node.handshake()
            check_upgrade_due(app)
        except UpgradeHalt:
            node.close()
            raise
        return node

    def close(self) -> None:
        self.chain.db.close()

    @property
    def chain_id(self) -> str:
        return self.genesis.chain_id

    def handshake(self) -> None:
        """Bring the application level with the block store (CometBFT's handshake)."""
        app_height, _ = self.app.info()
        store_height = self.chain.height()
        if app_height > store_height:
            raise HandshakeError(f"application is at height {app_height}, block store at {store_height}")
        for height in range(app_height + 1, store_height + 1):
            self._replay(height)
        self._check_app_hash(store_height)

    def _replay(self, height: int) -> None:
        block = self.chain.load_block(height)
        if block is None:
            raise HandshakeError(f"block {height} is missing from the block store")
        try:
            request = self.executor().finalize_request(block)
        except LookupError as exc:
            raise HandshakeError(f"cannot replay block {height}: {exc}") from None
        self.app.finalize_block(request)
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
        check_upgrade_due(self.app)  # stop here, before the next height, if it needs another binary

    def is_solo(self) -> bool:
        """One validator, this node, and no peers to talk to: the single-validator engine.
        Every other network runs Tendermint over p2p."""
        p2p = self.config.p2p
        return (
            len(self.validators.validators) == 1
            and self.validators.get(self.pv.address) is not None
            and not p2p.persistent_peers
            and not p2p.seeds
        )

    def executor(self) -> BlockExecutor:
        settings = self.config.consensus
        params = ChainParams(
            self.chain_id,
            self.genesis.initial_height,
            genesis_doc.parse_time(self.genesis.genesis_time),
            PoolLimits(settings.evidence_pool_max_count, settings.evidence_pool_max_bytes),
        )
        return BlockExecutor(params, self.app, self.chain, self.mempool, self.validators)

    def tendermint(self, network: Network) -> TendermintEngine:
        settings = self.config.consensus
        timeouts = TimeoutConfig(
            settings.timeout_propose_s,
            settings.timeout_prevote_s,
            settings.timeout_precommit_s,
            settings.timeout_delta_s,
            settings.timeout_commit_s,
        )
        max_message_bytes = self.config.p2p.max_message_bytes
        # Proposals travel in 64 KiB parts and sync answers carry any block the chain allows,
        # so blocks fill block.max_bytes whatever the gossip message limit.
        return TendermintEngine(
            self.executor(),
            PVSigner(self.pv),
            WAL(self.home.data_dir / "cs.wal"),
            network,
            self.on_commit,
            EngineConfig(timeouts=timeouts, max_message_bytes=max_message_bytes),
            metrics=self.metrics.consensus,
        )

    async def submit_tx(self, tx: bytes) -> TxResult:
        """CheckTx into our mempool and, once admitted, gossip to peers."""
        result = self.mempool.check_tx(tx)
        if result.code == 0 and self.network is not None:
            await self.network.gossip_tx(tx)
        return result

    def solo(self) -> SoloEngine:
        settings = self.config.consensus
        return SoloEngine(
            self.executor(),
            self.pv,
            ConsensusConfig(
                settings.timeout_commit_s,
                settings.create_empty_blocks,
                settings.create_empty_blocks_interval_s,
            ),
            self.on_commit,
            BlockWAL(self.home.data_dir / "block_wal"),
            metrics=self.metrics.consensus,
        )

    def block_id(self, height: int) -> BlockID | None:
        commit = self.chain.load_commit(height)
        return None if commit is None else commit.block_id

    def block_size(self, block: Block) -> int:
        return len(encode(block))

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        verifier = self._verifier()
        async with trio.open_nursery() as nursery:
            await nursery.start(collect_periodically)
            await nursery.start(serve_metrics, self)
            if self.is_solo():
                await nursery.start(serve, self)
                await nursery.start(serve_rest, self)
                await nursery.start(self.solo().run)
            else:
                await nursery.start(self._run_networked)
                await nursery.start(serve, self)
                await nursery.start(serve_rest, self)
            if verifier is not None:
                await nursery.start(verifier.run)
            nursery.start_soon(_stop_on_signal, nursery.cancel_scope)
            task_status.started()

    def _verifier(self) -> Verifier | None:
        """The verifier service, if ``[verifier]`` enables it (imported only then: it loads
        gpu/'s compiled kernels)."""
        if not self.config.verifier.enable:
            return None
        from node.verifier import open_verifier

        return open_verifier(self)

    async def _run_networked(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        # libp2p takes about a second to import: only a networked node pays for it.
        from node.network import ConsensusNetwork, NetworkServices
        from node.p2p import keys
        from node.p2p.host import P2PNode, adopt_libp2p_logging

        adopt_libp2p_logging()
        p2p = P2PNode(self.config.p2p, keys.load_or_create(self.home.config_dir / keys.NODE_KEY_FILE))
        self.consensus = self.tendermint(ConsensusNetwork(p2p))
        self.network = NetworkServices(p2p, self.consensus, self.mempool)
        log.info("p2p node %s on %s", p2p.peer_id, self.config.p2p.listen_addr)
        await self.network.run(task_status=task_status)

    def validators_at(self, height: int) -> ValidatorSet | None:
        """The validator set that decides ``height``, with its proposer priorities; None if
        unknown. A single-validator chain whose early blocks were written before sets were
        stored per height has had the genesis set all along."""
        try:
            return blocks.validators_at(self.chain, self.validators, self.genesis.initial_height, height)
        except LookupError:
            if height > self.genesis.initial_height and height <= self.chain.height() and self.is_solo():
                return self.validators
            return None


async def _stop_on_signal(scope: trio.CancelScope) -> None:
    """SIGINT or SIGTERM: stop between blocks; committed state is already on disk."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for received in signals:
            log.info("received %s, shutting down", signal.Signals(received).name)
            scope.cancel()
            return


def first_validators(chain: ChainStore, app: App, genesis: GenesisDoc) -> ValidatorSet:
    """The set that decides the chain's first height: InitChain's answer, kept in the block
    store. On a node's first start InitChain runs here (CometBFT's handshake); should the
    node have stopped between InitChain and storing the set, a dry run finds it again."""
    stored = chain.load_validators(genesis.initial_height)
    if stored is not None:
        return stored
    genesis_time = genesis_doc.parse_time(genesis.genesis_time)
    if app.state.chain_id():
        updates = App(MemoryKV(), app.registry).init_chain(genesis, genesis_time).validators
    else:
        updates = app.init_chain(genesis, genesis_time).validators
        log.info("initialised chain %s from genesis", genesis.chain_id)
    if not updates:
        raise HomeError(
            "the genesis has no validators; add them with `depind genesis gentx` and `collect-gentxs`"
        )
    validators = ValidatorSet.from_keys([(update.pub_key, update.power) for update in updates])
    chain.save_validators(genesis.initial_height, validators)
    return validators
