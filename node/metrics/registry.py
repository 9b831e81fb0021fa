"""A node's metrics: one ``CollectorRegistry`` per node, holding every instrument and
collector of this package under ``[instrumentation] namespace``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from node.metrics.chain_state import StateCollector
from node.metrics.consensus import PrometheusConsensusMetrics
from node.metrics.node_state import NodeCollector
from node.metrics.verifier import VerifierMetrics
from node.storage.chain import ChainStore

if TYPE_CHECKING:
    from node.node import Node


@dataclass(frozen=True)
class NodeMetrics:
    registry: CollectorRegistry
    consensus: PrometheusConsensusMetrics
    verifier: VerifierMetrics


def open_metrics(node: Node) -> NodeMetrics:
    namespace = node.config.instrumentation.namespace
    registry = CollectorRegistry()
    consensus = PrometheusConsensusMetrics(registry, namespace, last_block_time(node.chain))
    registry.register(NodeCollector(node, namespace))
    registry.register(StateCollector(node.app.query, namespace))
    return NodeMetrics(registry, consensus, VerifierMetrics(registry, namespace))


def last_block_time(chain: ChainStore) -> int | None:
    """The header time of the chain's last block; None before the first."""
    block = chain.load_block(chain.height())
    return None if block is None else block.header.time_ns
