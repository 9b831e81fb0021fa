"""The compute JSON-RPC methods (``jobs``, ``job``, ``attestations``, ``verdict``,
``provider_stats``, ``compute_summary``, and ``params`` with ``module: "compute"``) and the
chain-wide ``summary`` over the chain of tests/node/compute_chain.py: depind's JSON,
filters, pages, and error codes."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import pytest
import trio

from gpu.header import work_units
from gpu.jobs import job_header, spec_digest
from node.node import Node
from node.rpc.errors import INVALID_PARAMS, NOT_FOUND, QUERY_FAILED
from tests.node.compute_chain import (
    COMPUTE_MS,
    ENERGY_MJ,
    JOB,
    JOB_PRICE,
    QUERY_HEIGHT,
    SUBMIT_HEIGHT,
    VALID_HEIGHT,
    compute_app,
)
from tests.node.rpc.support import rpc, rpc_error
from tests.vm.compute.helpers import header_bytes
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE
from vm.app import App

JOB_UNITS = work_units(job_header(JOB))


@dataclass
class AppNode:
    """What the application-query RPC methods read of a node: its app."""

    app: App


@pytest.fixture(scope="module")
def node() -> Node:
    return cast(Node, AppNode(compute_app()))


def call(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc, node, method, **params))


def error(node: Node, method: str, **params: Any) -> Any:
    return trio.run(functools.partial(rpc_error, node, method, **params))


def ids(answer: dict[str, Any]) -> list[int]:
    return [job["id"] for job in answer["jobs"]]


def test_jobs_filtered_and_paged(node: Node) -> None:
    every = call(node, "jobs")
    assert ids(every) == [1, 2, 3]
    assert every["next_key"] is None and every["height"] == str(QUERY_HEIGHT)
    assert ids(call(node, "jobs", state="verifying")) == [2]
    assert ids(call(node, "jobs", provider=ALICE.address, state="pending")) == [3]
    assert ids(call(node, "jobs", lease_id="1", requester=BOB.address)) == [1, 2, 3]
    assert call(node, "jobs", requester=CAROL.address)["jobs"] == []
    assert call(node, "jobs", lease_id=2)["jobs"] == []
    page = call(node, "jobs", limit=2)
    assert ids(page) == [1, 2] and page["next_key"] == "3"
    more = call(node, "jobs", limit=2, next_key=page["next_key"])
    assert ids(more) == [3] and more["next_key"] is None


def test_job_with_its_result_and_committee(node: Node) -> None:
    job = call(node, "job", id=1)["job"]
    assert (job["state"], job["kind"], job["lease_id"], job["price"]) == ("valid", "gemm", 1, JOB_PRICE)
    assert (job["requester"], job["provider"]) == (BOB.address, ALICE.address)
    assert job["header"] == header_bytes(JOB).hex() and job["spec_digest"] == spec_digest(JOB).hex()
    assert (job["work_units"], job["submitted_height"], job["verdict_height"]) == (
        JOB_UNITS,
        SUBMIT_HEIGHT,
        VALID_HEIGHT,
    )
    result = job["result"]
    assert (result["energy_mj"], result["energy_known"], result["compute_ms"]) == (
        ENERGY_MJ,
        True,
        COMPUTE_MS,
    )
    members = job["committee"]["members"]
    assert {(m["operator"], m["power"]) for m in members} == {(CAROL.address, 3), (DAVE.address, 2)}
    pending = call(node, "job", id="3")["job"]
    assert (pending["state"], pending["result"], pending["committee"]) == ("pending", None, None)


def test_attestations_of_a_job(node: Node) -> None:
    found = call(node, "attestations", job_id=1)["attestations"]
    assert {a["member"] for a in found} == {CAROL.address, DAVE.address}
    assert all((a["verdict"], a["punished"], a["dispute"]) == ("valid", False, None) for a in found)
    assert call(node, "attestations", job_id=2)["attestations"] == []


def test_verdicts_final_and_open(node: Node) -> None:
    valid = call(node, "verdict", job_id=1)
    assert valid == {
        "job_id": 1,
        "state": "valid",
        "final": True,
        "valid_power": 5,
        "total_power": 5,
        "fraud": None,
        "verdict_height": VALID_HEIGHT,
        "height": str(QUERY_HEIGHT),
    }
    verifying = call(node, "verdict", job_id=2)
    assert (verifying["state"], verifying["final"], verifying["valid_power"], verifying["total_power"]) == (
        "verifying",
        False,
        0,
        5,
    )


def test_provider_stats_count_verified_work(node: Node) -> None:
    assert call(node, "provider_stats", provider=ALICE.address)["stats"] == {
        "provider": ALICE.address,
        "verified_jobs": 1,
        "verified_work_units": JOB_UNITS,
        "energy_mj": ENERGY_MJ,
        "energy_jobs": 1,
    }
    assert call(node, "provider_stats", provider=DAVE.address)["stats"]["verified_jobs"] == 0


def test_posted_chunks_of_a_job_never_challenged(node: Node) -> None:
    answer = call(node, "posted_chunks", job_id=2)
    assert (answer["job_id"], answer["answered_height"], answer["chunks"]) == (2, 0, [])


def test_compute_summary_counts_jobs_by_state(node: Node) -> None:
    answer = call(node, "compute_summary")
    assert answer["jobs"] == {
        "pending": 1,
        "committed": 0,
        "verifying": 1,
        "valid": 1,
        "invalid": 0,
        "provider_fault": 0,
        "unverified": 0,
    }
    assert answer["work_units_verified"] == str(JOB_UNITS) and answer["height"] == str(QUERY_HEIGHT)
    assert answer["disputes"] == {"opened": 0, "upheld": 0, "refuted": 0, "closed": 0}
    assert (answer["fraud_proofs"], answer["availability_challenges"]) == (0, 0)
    assert answer["provider_slashes"] == {"fraud_proof": 0, "unavailable": 0}
    assert "slashes" not in answer  # validators' slashes, members' included, are the slashing module's


def test_summary_reads_every_module_at_one_height(node: Node) -> None:
    answer = call(node, "summary")
    assert list(answer) == ["height", "market", "compute", "slashing"]
    assert answer["height"] == str(QUERY_HEIGHT)
    compute = call(node, "compute_summary")
    del compute["height"]
    assert answer["compute"] == compute
    market = call(node, "market_summary")
    del market["height"]
    assert answer["market"] == market and market["offers"]["active"] == 3
    assert answer["slashing"] == {
        "slashes": {"double_sign": 0, "missing_signature": 0, "false_attestation": 0, "missed_attestation": 0}
    }


def test_compute_params_through_params(node: Node) -> None:
    params = call(node, "params", module="compute")["compute"]
    assert (params["denom"], params["committee_size"]) == ("udepin", 3)


@pytest.mark.parametrize(
    ("method", "params", "code", "says"),
    [
        ("job", {"id": 9}, NOT_FOUND, "job not found"),
        ("verdict", {"job_id": 9}, NOT_FOUND, "job not found"),
        ("attestations", {"job_id": 9}, NOT_FOUND, "job not found"),
        ("posted_chunks", {"job_id": 9}, NOT_FOUND, "job not found"),
        ("job", {"id": 0}, QUERY_FAILED, "positive integer 'id'"),
        ("verdict", {}, INVALID_PARAMS, "missing param 'job_id'"),
        ("attestations", {"job_id": "one"}, INVALID_PARAMS, "must be an integer"),
        ("jobs", {"state": "done"}, QUERY_FAILED, "state must be one of"),
        ("jobs", {"lease_id": -1}, QUERY_FAILED, "positive integer 'lease_id'"),
        ("jobs", {"provider": "depin1nope"}, QUERY_FAILED, "sdk code 7"),
        ("jobs", {"next_key": "x"}, QUERY_FAILED, "next_key"),
        ("jobs", {"limit": 101}, QUERY_FAILED, "limit must be 1 to 100"),
        ("provider_stats", {"provider": "x"}, QUERY_FAILED, "sdk code 7"),
        ("provider_stats", {}, INVALID_PARAMS, "missing param 'provider'"),
    ],
)
def test_invalid_compute_queries(
    node: Node, method: str, params: dict[str, Any], code: int, says: str
) -> None:
    failed = error(node, method, **params)
    assert failed.code == code and says in failed.data, failed.data
