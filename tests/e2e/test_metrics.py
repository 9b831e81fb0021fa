"""Prometheus metrics of a real ``depind start`` process: a few blocks and a tx later, its
``/metrics`` is scraped over HTTP, parsed as Prometheus parses it, and checked against what
the node's JSON-RPC says before and after the scrape."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import KEYS, DepindProcess, NodeProcess, Wallet, b64, e2e_key, eventually
from tests.e2e.network import NetworkFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BLOCKMETA_PAGE = 20  # the most block metas one ``blockchain`` call returns


def scrape(node: DepindProcess) -> dict[str, Metric]:
    answer = httpx.get(node.metrics_url, timeout=10.0)
    assert answer.status_code == 200, answer.text
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def value(families: dict[str, Metric], name: str, **labels: str) -> float:
    """The sample ``name`` (or a counter's ``name``_total) with exactly ``labels``."""
    (found,) = [
        sample.value
        for family in families.values()
        for sample in family.samples
        if sample.name in (name, f"{name}_total") and sample.labels == labels
    ]
    return found


def txs_up_to(node: NodeProcess, height: int) -> int:
    """Txs in blocks 1 .. ``height``, as the block metas count them (beacon entries included)."""
    total = 0
    for low in range(1, height + 1, BLOCKMETA_PAGE):
        high = min(height, low + BLOCKMETA_PAGE - 1)
        metas = node.rpc("blockchain", minHeight=str(low), maxHeight=str(high))["block_metas"]
        total += sum(int(meta["num_txs"]) for meta in metas)
    return total


def test_metrics_of_a_running_node_match_its_status(node: NodeProcess) -> None:
    node.wait_height(3)
    sender = Wallet(node, KEYS[0])
    node.commit_tx(sender.sign([sender.send_msg(e2e_key(100).address, 1_000)]))
    stale = sender.sign([sender.send_msg(e2e_key(100).address, 2_000)])  # its sequence is used up
    assert node.rpc("broadcast_tx_sync", tx=b64(stale))["code"] != 0  # CheckTx fails it

    before = node.rpc("status")
    families = scrape(node)
    after = int(node.rpc("status")["sync_info"]["latest_block_height"])
    low = int(before["sync_info"]["latest_block_height"])

    assert low <= value(families, "depind_consensus_latest_block_height") <= after
    assert low <= value(families, "depind_consensus_height") <= after + 1  # the height being decided
    assert txs_up_to(node, low) <= value(families, "depind_consensus_total_txs") <= txs_up_to(node, after)
    assert value(families, "depind_consensus_total_txs") >= 1
    committed = value(families, "depind_state_block_processing_time_count")
    assert low <= committed <= after  # every block since the node started
    assert value(families, "depind_consensus_block_interval_seconds_count") == committed - 1
    assert value(families, "depind_consensus_validators") == 1
    power = int(before["validator_info"]["voting_power"])
    assert value(families, "depind_consensus_validators_power") == power
    assert value(families, "depind_p2p_peers") == 0
    assert value(families, "depind_mempool_failed_txs") >= 1

    for state in ("active", "paused", "closed"):
        assert value(families, "depind_market_offers", state=state) == 0
    for state in ("pending", "committed", "verifying", "valid", "invalid", "provider_fault", "unverified"):
        assert value(families, "depind_compute_jobs", state=state) == 0
    assert value(families, "depind_compute_fraud_proofs") == 0
    assert families["depind_market_gpus_offered"].samples == []  # no GPU class offered yet


def test_metrics_of_a_network_node_count_its_peers_and_validators(network_factory: NetworkFactory) -> None:
    """Two validators over p2p: each has one peer, and the set that decides has both."""
    network = network_factory(2, min_height=2)
    node = network.nodes[0]

    def connected() -> dict[str, Metric] | None:
        found = scrape(node)
        return found if value(found, "depind_p2p_peers") == 1 else None

    families = eventually(connected, "node0's metrics with its one peer")
    assert value(families, "depind_consensus_validators") == 2
    assert value(families, "depind_blocksync_syncing") == 0
    assert value(families, "depind_consensus_latest_block_height") >= 2
