"""node/metrics/consensus.py: the engines' reports become CometBFT's consensus and state
metrics, read back from the text exposition."""

from __future__ import annotations

import msgspec
import pytest
from prometheus_client import CollectorRegistry

from consensus import privval
from consensus.types import Block, Data
from consensus.validators import ValidatorSet
from node.metrics.consensus import PrometheusConsensusMetrics
from tests.consensus.vectors import block
from tests.node.metrics.support import scrape, values

LAST_TIME_NS = 1_704_067_200_000_000_000
VALIDATORS = ValidatorSet.from_keys(
    [(privval.public_key(bytes([n]) * 32), power) for n, power in ((1, 10), (2, 30))]
)


def committed(height: int, after_s: float, txs: int) -> Block:
    """A block at ``height`` whose header time is ``after_s`` past ``LAST_TIME_NS``."""
    found = block(height)
    header = msgspec.structs.replace(found.header, height=height, time_ns=LAST_TIME_NS + int(after_s * 1e9))
    return msgspec.structs.replace(found, header=header, data=Data([b"tx-%d" % i for i in range(txs)]))


def test_a_height_sets_height_validators_and_power_and_restarts_the_rounds() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusConsensusMetrics(registry, "depind", LAST_TIME_NS)
    metrics.height_started(7, VALIDATORS)
    metrics.round_entered(2)
    found = scrape(registry)
    assert values(found["depind_consensus_height"]) == {"": 7}
    assert values(found["depind_consensus_validators"]) == {"": 2}
    assert values(found["depind_consensus_validators_power"]) == {"": 40}
    assert values(found["depind_consensus_rounds"]) == {"": 2}
    metrics.height_started(8, VALIDATORS)
    assert values(scrape(registry)["depind_consensus_rounds"]) == {"": 0}


def test_committed_blocks_give_interval_txs_and_processing_time() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusConsensusMetrics(registry, "depind", LAST_TIME_NS)
    metrics.block_committed(committed(5, 1.5, txs=3), processing_s=0.02)
    metrics.block_committed(committed(6, 2.5, txs=0), processing_s=0.2)
    found = scrape(registry)
    assert values(found["depind_consensus_latest_block_height"]) == {"": 6}
    assert values(found["depind_consensus_num_txs"]) == {"": 0}
    assert values(found["depind_consensus_total_txs"]) == {"": 3}
    interval = {s.name: s.value for s in found["depind_consensus_block_interval_seconds"].samples}
    assert interval["depind_consensus_block_interval_seconds_count"] == 2
    assert interval["depind_consensus_block_interval_seconds_sum"] == pytest.approx(2.5)  # 1.5 s, then 1 s
    processing = found["depind_state_block_processing_time"]
    buckets = {s.labels.get("le"): s.value for s in processing.samples if s.name.endswith("_bucket")}
    assert buckets["10.0"] == 0 and buckets["25.0"] == 1 and buckets["250.0"] == 2  # in ms
    sums = {s.name: s.value for s in processing.samples}
    assert sums["depind_state_block_processing_time_sum"] == pytest.approx(220)


def test_the_first_block_of_a_chain_has_no_interval() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusConsensusMetrics(registry, "depind", None)
    metrics.block_committed(committed(1, 0.0, txs=1), processing_s=0.001)
    samples = {s.name: s.value for s in scrape(registry)["depind_consensus_block_interval_seconds"].samples}
    assert samples["depind_consensus_block_interval_seconds_count"] == 0
    metrics.block_committed(committed(2, 1.0, txs=1), processing_s=0.001)
    samples = {s.name: s.value for s in scrape(registry)["depind_consensus_block_interval_seconds"].samples}
    assert samples["depind_consensus_block_interval_seconds_count"] == 1


def test_namespace_cometbft_gives_cometbfts_names() -> None:
    registry = CollectorRegistry()
    PrometheusConsensusMetrics(registry, "cometbft", None)
    assert set(scrape(registry)) == {
        "cometbft_consensus_height",
        "cometbft_consensus_latest_block_height",
        "cometbft_consensus_validators",
        "cometbft_consensus_validators_power",
        "cometbft_consensus_rounds",
        "cometbft_consensus_num_txs",
        "cometbft_consensus_total_txs",
        "cometbft_consensus_block_interval_seconds",
        "cometbft_state_block_processing_time",
    }
