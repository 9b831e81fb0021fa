"""node/metrics/chain_state.py: the market, compute and slashing metrics, read from a real
application's committed state (tests/node/compute_chain.py: three offers, two leases, jobs
valid, verifying and pending) through its summary queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

from node.metrics.chain_state import Query, StateCollector
from tests.node.compute_chain import compute_app
from tests.node.metrics.support import scrape, values
from tests.vm.market.helpers import H100, L4
from vm.app import App, QueryResult

H100_LABELS = {"model": H100.model, "memory_mib": str(H100.memory_mib), "compute_capability": "9.0"}


@pytest.fixture(scope="module")
def app() -> App:
    return compute_app()


def collected(query: Query, class_page_limit: int = 100, max_class_pages: int = 10) -> dict[str, Metric]:
    registry = CollectorRegistry()
    registry.register(StateCollector(query, "depind", class_page_limit, max_class_pages))
    return scrape(registry)


def summary(app: App, path: str) -> Any:
    result = app.query(path, b"{}")
    assert result.code == 0, result.log
    return json.loads(result.value)


def test_market_counts_by_state(app: App) -> None:
    found = collected(app.query)
    assert values(found["depind_market_offers"], "state") == {"active": 3, "paused": 0, "closed": 0}
    assert values(found["depind_market_orders"], "state") == {
        "open": 1,
        "matched": 2,
        "cancelled": 0,
        "expired": 0,
    }
    assert values(found["depind_market_leases"], "state") == {"pending": 0, "active": 1, "closed": 1}


def test_gpus_and_reference_price_by_class(app: App) -> None:
    found = collected(app.query)
    offered = {
        (s.labels["model"], s.labels["memory_mib"]): s.value
        for s in found["depind_market_gpus_offered"].samples
    }
    assert offered == {(H100.model, str(H100.memory_mib)): 3, (L4.model, str(L4.memory_mib)): 4}
    (h100_leased,) = [s for s in found["depind_market_gpus_leased"].samples if s.labels == H100_LABELS]
    assert h100_leased.value == 1
    classes = summary(app, "/market/summary")["classes"]
    prices = {s.labels["model"]: s.value for s in found["depind_market_reference_price"].samples}
    assert prices == {entry["gpu_class"]["model"]: entry["reference_price"] for entry in classes}


def test_classes_are_read_page_by_page_up_to_the_bound(app: App) -> None:
    both = collected(app.query, class_page_limit=1)
    assert len(both["depind_market_gpus_offered"].samples) == 2
    first = collected(app.query, class_page_limit=1, max_class_pages=1)
    assert len(first["depind_market_gpus_offered"].samples) == 1


def test_jobs_by_state_and_compute_totals(app: App) -> None:
    found = collected(app.query)
    jobs = values(found["depind_compute_jobs"], "state")
    assert {state: jobs[state] for state in ("pending", "verifying", "valid", "invalid")} == {
        "pending": 1,
        "verifying": 1,
        "valid": 1,
        "invalid": 0,
    }
    expected = summary(app, "/compute/summary")
    assert values(found["depind_compute_work_units_verified"]) == {"": int(expected["work_units_verified"])}
    assert values(found["depind_compute_work_units_verified"])[""] > 0
    assert found["depind_compute_fraud_proofs"].type == "counter"
    assert values(found["depind_compute_fraud_proofs"]) == {"": 0}
    assert values(found["depind_compute_disputes"], "outcome") == expected["disputes"]
    assert values(found["depind_compute_availability_challenges"]) == {"": 0}
    assert values(found["depind_compute_provider_slashes"], "reason") == expected["provider_slashes"]
    assert set(expected["provider_slashes"]) == {"fraud_proof", "unavailable"}


def test_validator_slashes_by_reason(app: App) -> None:
    found = collected(app.query)
    assert found["depind_slashing_slashes"].type == "counter"
    assert values(found["depind_slashing_slashes"], "reason") == summary(app, "/slashing/summary")["slashes"]


def test_invalid_summary_is_left_out_and_the_rest_served(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """A module whose summary fails or has the wrong shape loses its metrics, not the scrape."""

    def query(path: str, data: bytes) -> QueryResult:
        if path == "/compute/summary":
            return QueryResult(code=6, codespace="sdk", log="unknown query path")
        if path == "/slashing/summary":
            return QueryResult(value=b'{"slashes": {"double_sign": "many"}}')
        return app.query(path, data)

    found = collected(query)
    assert "depind_market_offers" in found
    assert not any(name.startswith(("depind_compute_", "depind_slashing_")) for name in found)
    assert "the compute summary is unavailable: /compute/summary: sdk code 6" in caplog.text
    assert "the slashing summary is unavailable: 'double_sign' is not a count" in caplog.text
