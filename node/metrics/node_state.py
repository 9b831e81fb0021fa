"""The node's own gauges, read when scraped: its mempool, its peers, block sync.

Names are CometBFT's. ``mempool_failed_txs`` counts the txs CheckTx refused since the node
started; it is exposed untyped, because prometheus_client's text format would add
``_total`` to a counter's name and CometBFT's name has none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.metrics_core import GaugeMetricFamily, Metric, UnknownMetricFamily
from prometheus_client.registry import Collector

from node.p2p.errors import NotRunningError

if TYPE_CHECKING:
    from node.node import Node


class NodeCollector(Collector):
    def __init__(self, node: Node, namespace: str) -> None:
        self.node = node
        self.namespace = namespace

    def collect(self) -> Iterator[Metric]:
        mempool = self.node.mempool
        yield self._gauge("mempool_size", "Number of uncommitted transactions.", mempool.size())
        yield self._gauge("mempool_size_bytes", "Total size of the mempool in bytes.", mempool.size_bytes())
        yield UnknownMetricFamily(
            f"{self.namespace}_mempool_failed_txs", "Number of failed transactions.", mempool.failed_txs
        )
        yield self._gauge("p2p_peers", "Number of peers node's connected to.", self.peers())
        yield self._gauge("blocksync_syncing", "Either 0 (not block syncing) or 1 (syncing).", self.syncing())

    def _gauge(self, name: str, documentation: str, value: int) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"{self.namespace}_{name}", documentation, value)

    def peers(self) -> int:
        """Connected peers; none on a single-validator node, or while the host is down."""
        if self.node.network is None:
            return 0
        try:
            return len(self.node.network.p2p.peers())
        except NotRunningError:
            return 0

    def syncing(self) -> int:
        engine = self.node.consensus
        return int(engine is not None and engine.syncing)
