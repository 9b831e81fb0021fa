"""CometBFT's consensus and state metrics, from what the engines report.

Names and types are CometBFT v0.38's, help texts those of its metrics list, so that with
``namespace = "cometbft"`` its dashboards read them. ``height`` is the height being
decided (the last block's + 1), as in CometBFT; ``total_txs`` counts the txs committed
since the node started, as CometBFT's does. ``block_processing_time`` is in
milliseconds, as CometBFT's, with buckets for Python's execution times rather than its
1-91 ms; it spans executing, storing and committing the block.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram

from consensus.metrics import ConsensusMetrics
from consensus.types import Block
from consensus.validators import ValidatorSet

INTERVAL_BUCKETS_S = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)
PROCESSING_BUCKETS_MS = (1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1e3, 2.5e3, 5e3, 1e4)
NS_PER_S = 1_000_000_000


class PrometheusConsensusMetrics(ConsensusMetrics):
    def __init__(self, registry: CollectorRegistry, namespace: str, last_block_time_ns: int | None) -> None:
        """``last_block_time_ns``: the header time of the chain's last block (None before the
        first), from which the first block this node commits is timed."""

        def gauge(name: str, documentation: str) -> Gauge:
            return Gauge(name, documentation, namespace=namespace, subsystem="consensus", registry=registry)

        self.height = gauge("height", "Height of the chain.")
        self.latest_block_height = gauge("latest_block_height", "Height of the latest block.")
        self.validators = gauge("validators", "Number of validators.")
        self.validators_power = gauge("validators_power", "Total voting power of all validators.")
        self.rounds = gauge("rounds", "Number of rounds.")
        self.num_txs = gauge("num_txs", "Number of transactions.")
        self.total_txs = gauge("total_txs", "Total number of transactions committed.")
        self.block_interval = Histogram(
            "block_interval_seconds",
            "Time between this and last block (Block.Header.Time) in seconds.",
            namespace=namespace,
            subsystem="consensus",
            buckets=INTERVAL_BUCKETS_S,
            registry=registry,
        )
        self.block_processing = Histogram(
            "block_processing_time",
            "Time spent processing FinalizeBlock (and storing and committing the block) in ms.",
            namespace=namespace,
            subsystem="state",
            buckets=PROCESSING_BUCKETS_MS,
            registry=registry,
        )
        self._last_time_ns = last_block_time_ns

    def height_started(self, height: int, validators: ValidatorSet) -> None:
        self.height.set(height)
        self.rounds.set(0)
        self.validators.set(len(validators.validators))
        self.validators_power.set(validators.total_power())

    def round_entered(self, round_: int) -> None:
        self.rounds.set(round_)

    def block_committed(self, block: Block, processing_s: float) -> None:
        header = block.header
        if self._last_time_ns is not None:
            self.block_interval.observe((header.time_ns - self._last_time_ns) / NS_PER_S)
        self._last_time_ns = header.time_ns
        self.latest_block_height.set(header.height)
        self.num_txs.set(len(block.data.txs))
        self.total_txs.inc(len(block.data.txs))
        self.block_processing.observe(processing_s * 1000)
