"""compute queries: the JSON paths ``/compute/<name>`` and the ``depind.compute.v1.Query``
gRPC services give the same answers."""

from __future__ import annotations

from typing import Any

import pytest

from protos.depind.compute.v1 import query_pb2 as query
from tests.vm.compute.helpers import (
    GEMM,
    PARAMS,
    PRICE,
    PROVIDER,
    REQUESTER,
    ComputeChain,
    honest,
    result_msg,
    submit_msg,
)
from tests.vm.helpers import ALICE
from vm.compute.services import QUERY
from vm.errors import InvalidTx


@pytest.fixture(scope="module")
def chain() -> ComputeChain:
    """Job 1 valid, job 2 verifying, job 3 pending."""
    chain = ComputeChain()
    work = honest()
    chain.block(submit_msg(), submit_msg(), submit_msg(deadline=40))
    chain.block(result_msg(1, work))
    chain.block()
    chain.block(*(chain.attest(1, work, m) for m in chain.members(1)), result_msg(2, work))
    chain.blocks(PARAMS.challenge_window_blocks)
    return chain


def ask(chain: ComputeChain, name: str, **request: Any) -> Any:
    return chain.registry.query(f"/compute/{name}", chain.store, request)


def grpc(chain: ComputeChain, method: str, request: Any, answer: Any) -> Any:
    data = chain.registry.service(QUERY + method, chain.store, request.SerializeToString())
    return answer.FromString(data)


def test_job(chain: ComputeChain) -> None:
    answer = ask(chain, "job", id=1)["job"]
    assert (answer["state"], answer["kind"], answer["work_units"], answer["price"]) == (
        "valid",
        "gemm",
        24_576,
        PRICE,
    )
    assert answer["requester"] == REQUESTER.address and answer["result"]["energy_known"]
    assert len(answer["committee"]["members"]) == 3
    job = grpc(chain, "Job", query.QueryJobRequest(id=1), query.QueryJobResponse).job
    assert (job.id, job.kind, job.work_units, job.state) == (1, "gemm", 24_576, 4)
    assert job.spec_digest.hex() == answer["spec_digest"]


def test_job_spec_shows_the_header_fields(chain: ComputeChain) -> None:
    spec = ask(chain, "job", id=1)["job"]["spec"]
    assert spec == {
        "kind": "gemm",
        "version": 1,
        "m": GEMM.m,
        "k": GEMM.k,
        "n": GEMM.n,
        "bound": GEMM.bound,
        "seed": GEMM.seed,
        "a_root": None,
        "b_root": None,
    }


def test_jobs_filtered_and_paged(chain: ComputeChain) -> None:
    assert [j["id"] for j in ask(chain, "jobs")["jobs"]] == [1, 2, 3]
    assert [j["id"] for j in ask(chain, "jobs", state="verifying")["jobs"]] == [2]
    assert [j["id"] for j in ask(chain, "jobs", provider=PROVIDER.address, state="pending")["jobs"]] == [3]
    assert [j["id"] for j in ask(chain, "jobs", requester=REQUESTER.address, lease_id=1)["jobs"]] == [1, 2, 3]
    assert ask(chain, "jobs", requester=ALICE.address)["jobs"] == []
    page = ask(chain, "jobs", limit=2)
    assert ([j["id"] for j in page["jobs"]], page["next_key"]) == ([1, 2], "3")
    rest = ask(chain, "jobs", limit=2, next_key="3")
    assert ([j["id"] for j in rest["jobs"]], rest["next_key"]) == ([3], None)
    answer = grpc(chain, "Jobs", query.QueryJobsRequest(state="JOB_STATE_VERIFYING"), query.QueryJobsResponse)
    assert [j.id for j in answer.jobs] == [2]
    paged = query.QueryJobsRequest(provider=PROVIDER.address)
    paged.pagination.limit = 1
    first = grpc(chain, "Jobs", paged, query.QueryJobsResponse)
    assert [j.id for j in first.jobs] == [1] and first.pagination.next_key == (2).to_bytes(8, "big")


def test_attestations_verdict_and_stats(chain: ComputeChain) -> None:
    attestations = ask(chain, "attestations", job_id=1)["attestations"]
    assert len(attestations) == 3 and {a["verdict"] for a in attestations} == {"valid"}
    verdict = ask(chain, "verdict", job_id=1)
    assert (verdict["state"], verdict["final"]) == ("valid", True)
    assert verdict["valid_power"] == verdict["total_power"] > 0
    assert ask(chain, "verdict", job_id=2)["final"] is False
    stats = ask(chain, "provider_stats", provider=PROVIDER.address)["stats"]
    assert (stats["verified_jobs"], stats["verified_work_units"]) == (1, 24_576)
    assert ask(chain, "provider_stats", provider=REQUESTER.address)["stats"]["verified_jobs"] == 0
    pb = grpc(chain, "Verdict", query.QueryVerdictRequest(job_id=1), query.QueryVerdictResponse)
    assert pb.final and pb.valid_power == verdict["valid_power"]
    pb_stats = grpc(
        chain,
        "ProviderStats",
        query.QueryProviderStatsRequest(provider=PROVIDER.address),
        query.QueryProviderStatsResponse,
    )
    assert pb_stats.stats.verified_jobs == 1
    records = grpc(
        chain, "Attestations", query.QueryAttestationsRequest(job_id=1), query.QueryAttestationsResponse
    )
    assert [a.member for a in records.attestations] == [a["member"] for a in attestations]


def test_params(chain: ComputeChain) -> None:
    assert chain.registry.params(chain.store, "compute")["compute"]["liveness_slash_fraction"] == (
        "0.010000000000000000"
    )
    params = grpc(chain, "Params", query.QueryParamsRequest(), query.QueryParamsResponse).params
    assert params.liveness_slash_fraction == "10000000000000000"  # LegacyDec atomics, as Cosmos
    assert params.committee_size == 3 and params.fault_closes_lease


@pytest.mark.parametrize(
    ("name", "request_", "code"),
    [
        ("job", {}, 18),
        ("job", {"id": 99}, 38),
        ("job", {"id": True}, 18),
        ("jobs", {"state": "done"}, 18),
        ("jobs", {"next_key": "x"}, 18),
        ("jobs", {"provider": "nope"}, 7),
        ("jobs", {"lease_id": 0}, 18),
        ("attestations", {"job_id": 99}, 38),
        ("verdict", {}, 18),
        ("provider_stats", {}, 18),
    ],
)
def test_invalid_queries(chain: ComputeChain, name: str, request_: dict[str, Any], code: int) -> None:
    with pytest.raises(InvalidTx) as caught:
        ask(chain, name, **request_)
    assert caught.value.code == code
