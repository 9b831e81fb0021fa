"""A node's registry (node/metrics/registry.py) on a real node: the mempool and p2p gauges read
when scraped, and the consensus metrics its engine pushes as it commits blocks."""

from __future__ import annotations

from node.node import Node
from tests.node.metrics.conftest import send
from tests.node.metrics.support import scrape, values

COMETBFT_NAMES = {
    "consensus_height",
    "consensus_latest_block_height",
    "consensus_validators",
    "consensus_validators_power",
    "consensus_rounds",
    "consensus_block_interval_seconds",
    "consensus_num_txs",
    "consensus_total_txs",
    "mempool_size",
    "mempool_size_bytes",
    "mempool_failed_txs",
    "p2p_peers",
    "blocksync_syncing",
    "state_block_processing_time",
}
DEPIND_NAMES = {
    "market_offers",
    "market_orders",
    "market_leases",
    "market_gpus_offered",
    "market_gpus_leased",
    "market_reference_price",
    "compute_jobs",
    "compute_work_units_verified",
    "compute_fraud_proofs",
    "compute_disputes",
    "compute_availability_challenges",
    "compute_provider_slashes",
    "slashing_slashes",
    "verifier_fetch_seconds",
    "verifier_check_seconds",
}


def test_a_node_serves_every_metric_under_its_namespace(node: Node) -> None:
    assert set(scrape(node.metrics.registry)) == {f"depind_{name}" for name in COMETBFT_NAMES | DEPIND_NAMES}


async def test_mempool_gauges_and_failed_txs(node: Node) -> None:
    valid = send(node, sequence=0)
    assert (await node.submit_tx(valid)).code == 0
    assert (await node.submit_tx(send(node, sequence=5))).code != 0  # the wrong sequence
    found = scrape(node.metrics.registry)
    assert values(found["depind_mempool_size"]) == {"": 1}
    assert values(found["depind_mempool_size_bytes"]) == {"": len(valid)}
    failed = found["depind_mempool_failed_txs"]
    assert (failed.type, values(failed)) == ("unknown", {"": 1})  # CometBFT's name, without _total


def test_a_single_validator_node_has_no_peers_and_does_not_sync(node: Node) -> None:
    found = scrape(node.metrics.registry)
    assert values(found["depind_p2p_peers"]) == {"": 0}
    assert values(found["depind_blocksync_syncing"]) == {"": 0}


async def test_the_engine_pushes_committed_blocks(node: Node) -> None:
    engine = node.solo()
    await engine.produce_block()
    assert (await node.submit_tx(send(node, sequence=0))).code == 0
    await engine.produce_block()
    found = scrape(node.metrics.registry)
    assert values(found["depind_consensus_latest_block_height"]) == {"": 2}
    assert values(found["depind_consensus_num_txs"]) == {"": 1}
    assert values(found["depind_consensus_total_txs"]) == {"": 1}
    assert values(found["depind_mempool_size"]) == {"": 0}
    counts = {s.name: s.value for f in found.values() for s in f.samples if s.name.endswith("_count")}
    assert counts["depind_state_block_processing_time_count"] == 2
    assert counts["depind_consensus_block_interval_seconds_count"] == 1  # block 1 has no block before it


async def test_a_reopened_node_times_its_first_block_from_the_last_stored(node: Node) -> None:
    await node.solo().produce_block()
    node.close()
    reopened = Node.open(node.home)
    try:
        await reopened.solo().produce_block()
        samples = {
            s.name: s.value
            for s in scrape(reopened.metrics.registry)["depind_consensus_block_interval_seconds"].samples
        }
        assert samples["depind_consensus_block_interval_seconds_count"] == 1
    finally:
        reopened.close()
